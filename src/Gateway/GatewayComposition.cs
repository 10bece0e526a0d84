using System.Text.Json;
using System.Text.Json.Serialization;
using Gateway.Api;
using Gateway.Capture;
using Gateway.Configuration;
using Gateway.Connections;
using Gateway.Hubs;
using Gateway.Listeners;
using Gateway.Sessions;
using Gateway.Traffic;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;

namespace Gateway;

/// <summary>The one place where the gateway's parts are wired: services, then routes.</summary>
internal static class GatewayComposition
{
    /// <summary>Where history goes when <c>ConnectionStrings:Capture</c> is not set (relative to the content root).</summary>
    public const string DefaultCaptureDatabase = "Data Source=data/gateway.db";

    public static IServiceCollection AddGateway(this IServiceCollection services)
    {
        services.AddOptions<GatewayOptions>().BindConfiguration(GatewayOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<GatewayOptions>, GatewayOptionsValidator>();
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<GatewayClock>();

        // Data plane.
        services.AddSingleton<TrafficEventBus>();
        services.AddSingleton<TrafficTotals>();
        services.AddSingleton<CaptureFeed>();
        services.AddSingleton<Intercept.HeldMessages>();
        services.AddSingleton<SessionRegistry>();
        services.AddSingleton<DataPlane>();
        services.AddSingleton<ListenerManager>();

        // Capture store: opened (and seq continued) before the listeners start, flushed after they stop.
        services.AddSingleton<ICaptureStore>(sp => new SqliteCaptureStore(
            sp.GetRequiredService<IConfiguration>().GetConnectionString("Capture") ?? DefaultCaptureDatabase,
            sp.GetRequiredService<IHostEnvironment>().ContentRootPath));
        services.AddSingleton<CaptureWriter>();
        services.AddSingleton<SessionHistory>();
        services.AddSingleton<Capture.Export.PcapngExporter>();
        services.AddSingleton<Replayer>();
        services.AddHostedService(sp => sp.GetRequiredService<CaptureWriter>());

        // Control plane. The broadcaster is registered before the listeners so that it subscribes
        // before the first session opens, and stops after they are closed.
        services.AddSingleton<SessionCommands>();
        services.AddSingleton<Intercept.InterceptCommands>();
        services.AddSingleton<Faults.FaultCommands>();
        services.AddSingleton<OutboundSessions>();
        services.AddSingleton<OutboundConnector>();
        services.AddSingleton<TrafficBroadcaster>();
        services.AddHostedService(sp => sp.GetRequiredService<TrafficBroadcaster>());
        services.AddHostedService(sp => sp.GetRequiredService<ListenerManager>());

        services.ConfigureHttpJsonOptions(o => ConfigureJson(o.SerializerOptions));
        services.AddSignalR(o => o.AddFilter<CommandErrorHubFilter>())
            .AddJsonProtocol(o => ConfigureJson(o.PayloadSerializerOptions));
        services.AddSingleton<CommandErrorHubFilter>();

        // Send(sessionId, data, encoding[, target]): the JSON protocol, wrapped so Send's fourth argument is optional.
        var json = services.Single(d => d.ServiceType == typeof(IHubProtocol) && d.ImplementationType == typeof(JsonHubProtocol));
        services.Remove(json);
        services.AddSingleton<IHubProtocol>(sp => new OptionalTargetHubProtocol(ActivatorUtilities.CreateInstance<JsonHubProtocol>(sp)));

        services.AddProblemDetails();
        services.AddExceptionHandler<ApiExceptionHandler>();
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.AddHealthChecks();

        services.AddEndpointsApiExplorer();
        services.AddSwaggerGen(o =>
        {
            o.SwaggerDoc("v1", new OpenApiInfo
            {
                Title = "Socket Gateway",
                Version = "v1",
                Description = "Raw TCP/UDP listeners whose sessions you watch live and inject into. "
                    + "Live events: SignalR hub at /hubs/traffic.",
            });
            o.MapType<ReadOnlyMemory<byte>>(() => new OpenApiSchema { Type = JsonSchemaType.String, Format = "byte" });
            var xml = Path.Combine(AppContext.BaseDirectory, "Gateway.xml");
            if (File.Exists(xml))
            {
                o.IncludeXmlComments(xml);
            }
        });

        return services;
    }

    public static WebApplication MapGateway(this WebApplication app)
    {
        // Made now, so that /api/stats' startedAt is the start, not the first request for it.
        app.Services.GetRequiredService<GatewayClock>();

        var api = app.MapGroup("/api");
        api.MapListenerEndpoints();
        api.MapSessionEndpoints();
        api.MapMessageEndpoints();
        api.MapExportEndpoints();
        api.MapConnectionEndpoints();
        api.MapInterceptEndpoints();
        api.MapFaultEndpoints();
        api.MapStatsEndpoints();

        app.MapHub<TrafficHub>("/hubs/traffic");
        app.MapHealthChecks("/healthz");
        app.MapSwagger();
        app.UseSwaggerUI();
        return app;
    }

    private static void ConfigureJson(JsonSerializerOptions options)
    {
        options.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase));
    }
}
