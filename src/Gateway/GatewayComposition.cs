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
using Gateway.Security;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Cors.Infrastructure;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.OpenApi;
using OpenTelemetry.Metrics;

namespace Gateway;

/// <summary>The one place where the gateway's parts are wired: services, then routes.</summary>
internal static class GatewayComposition
{
    /// <summary>Where history goes when <c>ConnectionStrings:Capture</c> is not set (relative to the content root).</summary>
    public const string DefaultCaptureDatabase = "Data Source=data/gateway.db";

    public static IServiceCollection AddGateway(this IServiceCollection services)
    {
        // Every descriptor the process may have: the limits below are then fitted under it.
        FileDescriptors.RaiseSoftLimit();
        services.AddOptions<GatewayOptions>().BindConfiguration(GatewayOptions.Section).ValidateOnStart()
            .PostConfigure<IConfiguration>((options, configuration) =>
            {
                var limits = configuration.GetSection(GatewayOptions.Section).GetSection("Limits");
                if (FileDescriptors.Limit is { } files)
                {
                    options.Limits.FittedToFiles = FileDescriptors.FitDefaults(options, files, limits["MaxSessions"] is not null, limits["MaxHttpConnections"] is not null);
                }
            });
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
            sp.GetRequiredService<IHostEnvironment>().ContentRootPath,
            string.Equals(sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<GatewayOptions>>().Value.Capture.Durability, "power", StringComparison.OrdinalIgnoreCase),
            node: sp.GetService<Cluster.ClusterNode>()?.Id));
        services.AddSingleton<CaptureWriter>();
        services.AddSingleton<SessionHistory>();
        services.AddSingleton<Capture.Export.PcapngExporter>();
        services.AddSingleton<Replayer>();
        services.AddHostedService(sp => sp.GetRequiredService<CaptureWriter>());

        // Control plane. The broadcaster is registered before the listeners so that it subscribes
        // before the first session opens, and stops after they are closed.
        services.AddSingleton<SessionCommands>();
        services.AddSingleton<Intercept.InterceptCommands>();
        services.AddSingleton<Pipeline.RuleCommands>();
        services.AddSingleton<Faults.FaultCommands>();
        services.AddSingleton<OutboundSessions>();
        services.AddSingleton<SelfEndpoints>();
        services.AddSingleton<Tls.GatewayCa>();
        services.AddSingleton<Tls.LeafCertificates>();
        services.AddSingleton<Decoding.DecoderChoices>();
        services.AddSingleton<Decoding.DecodingFeed>();
        services.AddSingleton<Decoding.Wireshark.WiresharkDissector>();
        services.AddSingleton<Decoding.MessageDecoding>();
        services.AddSingleton<Decoding.Wireshark.WiresharkFeed>();
        services.AddSingleton<OutboundGuard>();
        services.AddSingleton<OutboundConnector>();
        services.AddSingleton<TrafficBroadcaster>();
        services.AddHostedService(sp => sp.GetRequiredService<TrafficBroadcaster>());
        services.AddHostedService<Hubs.CountersFeed>();
        services.AddHostedService(sp => sp.GetRequiredService<Decoding.DecodingFeed>()); // subscribed before the first session opens
        services.AddHostedService(sp => sp.GetRequiredService<Decoding.Wireshark.WiresharkFeed>());
        services.AddHostedService(sp => sp.GetRequiredService<ListenerManager>());
        services.AddHostedService<Tls.GatewayCaStartup>();

        services.ConfigureHttpJsonOptions(o => ConfigureJson(o.SerializerOptions));
        services.AddSignalR(o =>
            {
                o.AddFilter<CommandErrorHubFilter>();
                o.AddFilter<HubRateLimitFilter>();
            })
            .AddJsonProtocol(o => ConfigureJson(o.PayloadSerializerOptions));
        services.AddSingleton<CommandErrorHubFilter>();
        services.AddSingleton<HubRateLimitFilter>();

        // Send(sessionId, data, encoding[, target]): the JSON protocol, wrapped so Send's fourth argument is optional.
        var json = services.Single(d => d.ServiceType == typeof(IHubProtocol) && d.ImplementationType == typeof(JsonHubProtocol));
        services.Remove(json);
        services.AddSingleton<IHubProtocol>(sp => new OptionalTargetHubProtocol(ActivatorUtilities.CreateInstance<JsonHubProtocol>(sp)));

        // Security: API keys and roles, CORS (closed unless origins are listed), per-key rate limits, body and hub message caps.
        services.AddSingleton<ApiKeys>();
        services.AddSingleton<AuditLog>();
        services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        var authorization = services.AddAuthorizationBuilder();
        foreach (var role in Roles.All)
        {
            authorization.AddPolicy(role, p => p.AddAuthenticationSchemes(ApiKeyAuthenticationHandler.SchemeName).RequireRole(Roles.AtLeast(role)));
        }

        services.AddCors();
        services.AddOptions<CorsOptions>().Configure<IOptions<GatewayOptions>>((cors, gateway) =>
            cors.AddDefaultPolicy(p => p.WithOrigins([.. gateway.Value.Cors.Origins]).AllowAnyHeader().AllowAnyMethod().AllowCredentials().WithExposedHeaders("X-Next-Cursor")));
        services.AddSingleton<RateLimits>();
        services.AddOptions<KestrelServerOptions>().Configure<IOptions<GatewayOptions>>((kestrel, gateway) =>
        {
            kestrel.Limits.MaxRequestBodySize = gateway.Value.Limits.MaxRequestBodyBytes;
            kestrel.Limits.MaxConcurrentConnections = gateway.Value.Limits.MaxHttpConnections;
            kestrel.Limits.MaxConcurrentUpgradedConnections = gateway.Value.Limits.MaxHttpConnections;
        });
        services.AddSingleton<Metrics.HttpConnectionRefusals>();
        // The host must outlast the sessions' own shutdown timeout and the capture store's last flush.
        services.AddOptions<HostOptions>().Configure<IOptions<GatewayOptions>>((host, gateway) =>
            host.ShutdownTimeout = TimeSpan.FromSeconds(gateway.Value.ShutdownTimeoutSeconds + 30));
        services.AddOptions<HubOptions>().Configure<IOptions<GatewayOptions>>((hub, gateway) =>
            hub.MaximumReceiveMessageSize = gateway.Value.Limits.MaxHubMessageBytes);

        // Metrics: the "Gateway" meter (and ASP.NET Core's own) in Prometheus text format at /metrics.
        services.AddSingleton<Metrics.GatewayMetrics>();
        services.AddOpenTelemetry().WithMetrics(m =>
        {
            m.AddMeter(Metrics.GatewayMetrics.MeterName, "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel", "Microsoft.AspNetCore.Http.Connections")
                .AddPrometheusExporter();
            // Meters are matched by name process-wide; keep only this app's (its IMeterFactory's), so that
            // two gateways in one process (tests) do not report each other's instruments.
            ((IDeferredMeterProviderBuilder)m).Configure((sp, builder) =>
            {
                var own = sp.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
                builder.AddView(i => i.Meter.Scope is null || ReferenceEquals(i.Meter.Scope, own) ? null : MetricStreamConfiguration.Drop);
            });
        });

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

    /// <summary>The middleware between static files and the endpoints: routing, CORS, the origin check (hub and state-changing requests), auth, rate limits.</summary>
    public static WebApplication UseGateway(this WebApplication app)
    {
        app.UseRouting();
        app.UseCors();
        app.UseMiddleware<OriginCheck>();
        app.UseAuthentication();
        app.UseAuthorization();
        return app;
    }

    public static WebApplication MapGateway(this WebApplication app)
    {
        // Made now, so that /api/stats' startedAt is the start, not the first request for it.
        app.Services.GetRequiredService<GatewayClock>();
        app.Services.GetRequiredService<Metrics.GatewayMetrics>(); // registers its observable instruments
        app.Services.GetRequiredService<Metrics.HttpConnectionRefusals>(); // listens before the first connection

        // Every API route needs at least a viewer key; state-changing ones say which role and share a per-key rate limit.
        var api = app.MapGroup("/api").RequireAuthorization(Roles.Viewer);
        api.MapGet("/me", (HttpContext context, ApiKeys keys) => Me.Of(context, keys))
            .WithTags("Security")
            .WithSummary("Who the request's key is: {name, role, open} (open: no keys are configured, everything is allowed).");
        api.MapGet("/audit", (long? beforeId, int? limit, SessionHistory history, CancellationToken cancellationToken) =>
                history.AuditAsync(beforeId, limit, cancellationToken))
            .RequireAuthorization(Roles.Admin)
            .WithTags("Security")
            .WithSummary("The audit trail, newest first: every injection, close, broadcast, listener/connection/fault change, intercept decision "
                + "and replay, with the key, role and address. Page on with beforeId; limit ≤ 1000.")
            .Produces<AuditEntry[]>()
            .ProducesProblem(StatusCodes.Status403Forbidden);
        api.MapListenerEndpoints();
        api.MapSessionEndpoints();
        api.MapMessageEndpoints();
        api.MapExportEndpoints();
        api.MapConnectionEndpoints();
        api.MapInterceptEndpoints();
        api.MapFaultEndpoints();
        api.MapRuleEndpoints();
        api.MapTlsEndpoints();
        api.MapDecodingEndpoints();
        api.MapDiffEndpoints();
        api.MapNodeEndpoints();
        api.MapStatsEndpoints();

        app.MapHub<TrafficHub>("/hubs/traffic").RequireAuthorization(Roles.Viewer);
        app.MapHealthChecks("/healthz").AllowAnonymous();
        app.MapPrometheusScrapingEndpoint("/metrics").RequireAuthorization(Roles.Viewer);
        app.MapSwagger();
        app.UseSwaggerUI();
        return app;
    }

    internal static void ConfigureJson(JsonSerializerOptions options)
    {
        options.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase));
    }
}
