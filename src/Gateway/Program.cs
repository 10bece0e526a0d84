using Gateway;
using Gateway.Listeners;
using Serilog;

// The dashboard (top-level wwwroot/) is copied beside the binaries by the csproj, for run and publish alike.
var builder = WebApplication.CreateBuilder(new WebApplicationOptions
{
    Args = args,
    WebRootPath = Path.Combine(AppContext.BaseDirectory, "wwwroot"),
});

builder.Services.AddSerilog(
    (services, logger) => logger
        .ReadFrom.Configuration(builder.Configuration)
        .ReadFrom.Services(services)
        .Enrich.FromLogContext(),
    preserveStaticLogger: true);

builder.Services.AddGateway();

var app = builder.Build();

app.UseExceptionHandler();
app.UseStatusCodePages();
// The middleware logs through the static logger unless given one; this app keeps no static logger.
app.UseSerilogRequestLogging(o => o.Logger = app.Services.GetRequiredService<Serilog.ILogger>());
app.UseDefaultFiles();
app.UseStaticFiles();
app.MapGateway();

try
{
    await app.RunAsync();
    return 0;
}
catch (Exception ex)
{
    // Start-up failures end here, each as one line: the host's own "Hosting failed to start" is muted in
    // appsettings.json, and a listener that cannot bind has already said which address it wanted.
    if (ex is not ListenerBindException)
    {
        app.Services.GetRequiredService<ILogger<Program>>().LogCritical(ex, "Gateway failed to start: {Reason}", ex.Message);
    }

    return 1;
}

/// <summary>The entry point, visible to WebApplicationFactory in the tests.</summary>
public partial class Program;
