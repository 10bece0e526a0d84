using System.Net;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Functional;

/// <summary>Start-up, shutdown and what the app serves besides the API.</summary>
public sealed class HostTests
{
    [Fact]
    public async Task OptionalListenerPortInUse_StartsWithThatListenerFailed()
    {
        using var squatter = new PortSquatter();
        var port = squatter.Port;

        await using var app = await GatewayApp.StartAsync(new Dictionary<string, string?>
        {
            ["Gateway:Listeners:0:Port"] = port.ToString(),
            ["Gateway:Listeners:0:Optional"] = "true",
        });

        var listeners = await app.GetListenersAsync();
        Assert.Equal("failed", listeners.Single(l => l.Id == "tcp").State);
        Assert.Equal("listening", listeners.Single(l => l.Id == "udp").State);
    }

    [Fact]
    public async Task Stop_ClosesEveryClientConnection()
    {
        var app = await GatewayApp.StartAsync();
        using var client = await app.ConnectTcpAsync();
        await app.SessionOfAsync(client, "open");

        var stopping = app.DisposeAsync().AsTask();

        Assert.Empty(await client.ReceiveToEndAsync(TimeSpan.FromSeconds(5)));
        await stopping.Within();
    }

    [Fact]
    public async Task Dashboard_IsServedAtTheRoot_WithVendoredSignalRClient()
    {
        await using var app = await GatewayApp.StartAsync();

        var page = await app.Http.GetStringAsync("/").Within();
        var script = await app.Http.GetAsync("/lib/signalr/signalr.min.js").Within();

        Assert.Contains("Socket Gateway", page);
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
    }

    [Fact]
    public async Task Swagger_DescribesTheContract()
    {
        await using var app = await GatewayApp.StartAsync();

        var document = await app.Http.GetStringAsync("/swagger/v1/swagger.json").Within();
        var ui = await app.Http.GetAsync("/swagger/index.html").Within();

        Assert.Equal(HttpStatusCode.OK, ui.StatusCode);
        foreach (var route in new[]
                 {
                     "/api/listeners", "/api/listeners/{id}/broadcast", "/api/sessions", "/api/sessions/{id}",
                     "/api/sessions/{id}/send", "/api/sessions/{id}/messages", "/api/stats",
                 })
        {
            Assert.Contains($"\"{route}\"", document);
        }

        Assert.Contains("SessionInfo", document);
        Assert.Contains("MessageInfo", document);
    }

    [Fact]
    public async Task Healthz_IsHealthy()
    {
        await using var app = await GatewayApp.StartAsync();

        var response = await app.Http.GetAsync("/healthz").Within();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", await response.Content.ReadAsStringAsync());
    }
}
