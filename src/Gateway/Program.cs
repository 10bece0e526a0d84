using Gateway;
using Gateway.Cluster;
using Gateway.Listeners;
using Serilog;

// The dashboard (top-level wwwroot/) is copied beside the binaries by the csproj, for run and publish alike.
var builder = WebApplication.CreateBuilder(new WebApplicationOptions
{
    Args = args,
    WebRootPath = Path.Combine(AppContext.BaseDirectory, "wwwroot"),
});

// The embedded default HTTP address, used only when no standard setting names one (--urls, Urls,
// ASPNETCORE_URLS, ASPNETCORE_HTTP_PORTS, Kestrel:Endpoints). It lives here rather than in
// appsettings.json because an appsettings "Urls" would silently beat ASPNETCORE_URLS.
var http = builder.Configuration;
if (http["urls"] is null && http["http_ports"] is null && http["https_ports"] is null && !http.GetSection("Kestrel:Endpoints").Exists())
{
    builder.WebHost.UseUrls("http://127.0.0.1:5080");
}

// Socket completions run on the thread that polled them (the relay's next read or write starts there)
// instead of hopping to the thread pool: for small messages the hop was the largest cost per message.
// .NET reads the switch when the first socket operation starts, so it is set before anything opens one.
if (builder.Configuration.GetValue("Gateway:Sockets:InlineCompletions", true)
    && Environment.GetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS") is null)
{
    Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");
}

builder.Services.AddSerilog(
    (services, logger) => logger
        .ReadFrom.Configuration(services.GetRequiredService<IConfiguration>())
        .ReadFrom.Services(services)
        .Enrich.FromLogContext(),
    preserveStaticLogger: true);

try
{
    builder.Services.AddGateway();
    builder.AddGatewayCluster(); // cluster mode only: checks PostgreSQL and Redis, hosts an Orleans silo
    Gateway.Security.Exposure.ThrowIfUnsafe(builder.Configuration);
    var app = builder.Build();

    // Outermost, so that it logs the status the client got (a refused command is a 404 or 400, not an
    // exception on its way out); real failures are logged, with their trace, by the exception handler.
    // The middleware logs through the static logger unless given one; this app keeps no static logger.
    app.UseSerilogRequestLogging(o => o.Logger = app.Services.GetRequiredService<Serilog.ILogger>());
    app.UseExceptionHandler();
    app.UseStatusCodePages();
    app.UseDefaultFiles();
    app.UseStaticFiles();
    app.UseGateway();
    app.MapGateway();

    await app.RunAsync();
    return 0;
}
catch (Exception ex) when (ex is not HostAbortedException)
{
    // Start-up failures end here, each as one line and exit code 1: the host's own "Hosting failed to
    // start" is muted in appsettings.json, and a listener that cannot bind has already logged which
    // address it wanted. (The host and its logger are disposed by now, hence stderr.)
    if (ex is not ListenerBindException)
    {
        Console.Error.WriteLine($"Gateway failed to start: {ex.Message}");
    }

    return 1;
}
