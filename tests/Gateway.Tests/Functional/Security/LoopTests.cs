using System.Net;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Functional.Security;

/// <summary>A relay or outbound connection may not target the gateway's own endpoints.</summary>
public sealed class LoopTests
{
    [Fact]
    public async Task OutboundToOwnHttpOrListener_400_ElsewhereAllowed()
    {
        await using var app = await GatewayApp.StartAsync();
        foreach (var (host, port, protocol) in new[]
                 {
                     ("127.0.0.1", app.BaseAddress.Port, "tcp"),
                     ("localhost", app.BaseAddress.Port, "tcp"),
                     ("127.0.0.1", app.TcpPort, "tcp"),
                     ("127.0.0.2", app.TcpPort, "tcp"),
                     ("127.0.0.1", app.UdpPort, "udp"),
                 })
        {
            var problem = await ApiAssert.ProblemAsync(await app.PostAsync("/api/connections", new { host, port, protocol }), HttpStatusCode.BadRequest);
            Assert.Contains("would loop", problem.Detail);
        }

        using var echo = new EchoServer();
        await app.ConnectOutAsync(new { host = "127.0.0.1", port = echo.Port });
    }

    [Fact]
    public async Task RelayToOwnEndpoints_400_IncludingItself()
    {
        await using var app = await GatewayApp.StartAsync();
        using var folder = new TempFolder();
        var unix = await app.CreateListenerAsync(new { name = "u", protocol = "unix", path = Path.Combine(folder.Path, "u.sock") });
        var squatter = new LoopbackServer();
        var freePort = squatter.Port;
        squatter.Dispose();
        foreach (var body in new object[]
                 {
                     new { name = "r1", protocol = "tcp", port = 0, upstream = $"127.0.0.1:{app.TcpPort}" },
                     new { name = "r2", protocol = "tcp", port = 0, upstream = $"127.0.0.1:{app.BaseAddress.Port}" },
                     new { name = "r3", protocol = "tcp", port = freePort, upstream = $"127.0.0.1:{freePort}" },
                     new { name = "r4", protocol = "unix", path = Path.Combine(folder.Path, "r4.sock"), upstream = $"unix:{unix.Path}" },
                 })
        {
            var problem = await ApiAssert.ProblemAsync(await app.PostAsync("/api/listeners", body), HttpStatusCode.BadRequest);
            Assert.Contains("would loop", problem.Detail);
        }

        Assert.Equal(["tcp", "u", "udp"], (await app.GetListenersAsync()).Select(l => l.Name).Order());
        Assert.False(File.Exists(Path.Combine(folder.Path, "r4.sock")));
    }
}
