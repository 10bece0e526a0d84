using System.Net;
using System.Net.Sockets;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Functional.Hardening;

/// <summary>Replays need what connections need; Gateway:Outbound:AllowedTargets bounds every way out.</summary>
public sealed class OutboundPolicyTests
{
    [Fact]
    public async Task Replay_AsOperator_403_AsAdmin_201()
    {
        await using var app = await GatewayApp.StartAsync(Keys.Settings(), Keys.Admin);
        var recorded = await RecordAsync(app, "PING\r\n");
        using var server = new LoopbackServer();
        using var operatorClient = app.CreateClient();
        operatorClient.DefaultRequestHeaders.Add("X-Api-Key", Keys.Operator);

        var refused = await operatorClient.PostAsJsonAsync($"/api/sessions/{recorded}/replay", new { host = "127.0.0.1", port = server.Port, timing = "asap" }).Within();
        await ApiAssert.ProblemAsync(refused, HttpStatusCode.Forbidden);

        var accepted = await app.PostAsync($"/api/sessions/{recorded}/replay", new { host = "127.0.0.1", port = server.Port, timing = "asap" });
        Assert.Equal(HttpStatusCode.Created, accepted.StatusCode);
        using var peer = await server.AcceptAsync().Within();
        Assert.Equal("PING\r\n", System.Text.Encoding.ASCII.GetString(await peer.ReceiveExactlyAsync(6)));
    }

    [Fact]
    public async Task AllowedTargets_RefuseConnectionsReplaysRelaysAndSendtoElsewhere_403NamingTheTarget()
    {
        using var allowed = new EchoServer();
        using var other = new EchoServer();
        using var folder = new TempFolder();
        var allowedDir = Directory.CreateDirectory(Path.Combine(folder.Path, "allowed")).FullName;
        await using var app = await GatewayApp.StartAsync(new Dictionary<string, string?>
        {
            ["Gateway:Outbound:AllowedTargets:0"] = $"127.0.0.1:{allowed.Port}",
            ["Gateway:Outbound:AllowedTargets:1"] = $"unix:{allowedDir}",
            ["Gateway:Outbound:AllowedTargets:2"] = "10.0.0.0/8",
        });

        await app.ConnectOutAsync(new { host = "127.0.0.1", port = allowed.Port });
        var problem = await ApiAssert.ProblemAsync(await app.PostAsync("/api/connections", new { host = "127.0.0.1", port = other.Port }), HttpStatusCode.Forbidden);
        Assert.Contains($"127.0.0.1:{other.Port}", problem.Detail);
        Assert.Contains("Gateway:Outbound:AllowedTargets", problem.Detail);
        // A name that resolves to loopback is not in 10.0.0.0/8, and is not named by any pattern.
        await ApiAssert.ProblemAsync(await app.PostAsync("/api/connections", new { host = "localhost", port = other.Port }), HttpStatusCode.Forbidden, "localhost");

        var recorded = await RecordAsync(app, "x");
        await ApiAssert.ProblemAsync(await app.PostAsync($"/api/sessions/{recorded}/replay", new { host = "127.0.0.1", port = other.Port }), HttpStatusCode.Forbidden, $"127.0.0.1:{other.Port}");
        await ApiAssert.ProblemAsync(await app.PostAsync("/api/listeners", new { name = "r", protocol = "tcp", port = 0, upstream = $"127.0.0.1:{other.Port}" }), HttpStatusCode.Forbidden, $"127.0.0.1:{other.Port}");
        await ApiAssert.ProblemAsync(await app.PostAsync("/api/listeners/udp/sendto", new { host = "127.0.0.1", port = other.Port, data = "x" }), HttpStatusCode.Forbidden, $"udp 127.0.0.1:{other.Port}");
        Assert.DoesNotContain((await app.GetListenersAsync()), l => l.Name == "r");

        // Unix: inside the prefix is allowed; a link inside it that leads outside is judged by where it leads.
        var outsideSocket = Path.Combine(folder.Path, "outside.sock");
        using var outside = UnixServer(outsideSocket);
        var insideSocket = Path.Combine(allowedDir, "inside.sock");
        using var inside = UnixServer(insideSocket);
        await app.ConnectOutAsync(new { protocol = "unix", path = insideSocket });
        await ApiAssert.ProblemAsync(await app.PostAsync("/api/connections", new { protocol = "unix", path = outsideSocket }), HttpStatusCode.Forbidden, outsideSocket);
        var link = Path.Combine(allowedDir, "link.sock");
        File.CreateSymbolicLink(link, outsideSocket);
        await ApiAssert.ProblemAsync(await app.PostAsync("/api/connections", new { protocol = "unix", path = link }), HttpStatusCode.Forbidden, link);
    }

    [Fact]
    public async Task AllowedTargets_BadPattern_StopsStartUpNamingTheKey()
    {
        using var gateway = GatewayProcess.Start([.. GatewayProcess.FreePorts, "--Gateway:Outbound:AllowedTargets:0=example.com:99999"]);
        Assert.Equal(1, await gateway.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains(gateway.Lines, l => l.Contains("Gateway:Outbound:AllowedTargets:0") && l.Contains("example.com:99999"));
    }

    [Fact]
    public async Task UnspecifiedAddressesAndOtherRoutesToOwnSockets_AreLoops_400()
    {
        await using var app = await GatewayApp.StartAsync();
        using var folder = new TempFolder();
        var unix = await app.CreateListenerAsync(new { name = "u", protocol = "unix", path = Path.Combine(folder.Path, "u.sock") });
        foreach (var host in new[] { "0.0.0.0", "0", "::", "::ffff:0.0.0.0" })
        {
            await ApiAssert.ProblemAsync(await app.PostAsync("/api/connections", new { host, port = app.TcpPort }), HttpStatusCode.BadRequest, "would loop");
            await ApiAssert.ProblemAsync(await app.PostAsync("/api/connections", new { host, port = app.BaseAddress.Port }), HttpStatusCode.BadRequest, "would loop");
        }

        var link = Path.Combine(folder.Path, "link.sock");
        File.CreateSymbolicLink(link, unix.Path!);
        foreach (var path in new[] { link, "/proc/self/root" + unix.Path, $"/proc/{Environment.ProcessId}/root{unix.Path}" })
        {
            await ApiAssert.ProblemAsync(await app.PostAsync("/api/connections", new { protocol = "unix", path }), HttpStatusCode.BadRequest, "would loop");
            await ApiAssert.ProblemAsync(await app.PostAsync("/api/listeners", new { name = "r" + Math.Abs(path.GetHashCode() % 1000), protocol = "tcp", port = 0, upstream = "unix:" + path }),
                HttpStatusCode.BadRequest, "would loop");
        }

        // sendto aimed at the gateway's own UDP (or any of its) listeners.
        foreach (var host in new[] { "127.0.0.1", "0.0.0.0" })
        {
            await ApiAssert.ProblemAsync(await app.PostAsync("/api/listeners/udp/sendto", new { host, port = app.UdpPort, data = "x" }), HttpStatusCode.BadRequest, "would loop");
        }

        Assert.Equal(["tcp", "u", "udp"], (await app.GetListenersAsync()).Select(l => l.Name).Order());
        var sessions = await app.GetAsync<WireSession[]>("/api/sessions?state=all");
        Assert.Empty(sessions);
    }

    [Fact]
    public async Task OutboundSessions_CountTowardMaxSessions_AndListenersAreCapped()
    {
        using var echo = new EchoServer();
        await using var app = await GatewayApp.StartAsync(new Dictionary<string, string?>
        {
            ["Gateway:Limits:MaxSessions"] = "2",
            ["Gateway:Limits:MaxListeners"] = "3",
        });
        var recorded = await RecordAsync(app, "x");
        await app.ConnectOutAsync(new { host = "127.0.0.1", port = echo.Port });
        using var client = await app.ConnectTcpAsync();
        await app.SessionOfAsync(client, "open");

        await ApiAssert.ProblemAsync(await app.PostAsync("/api/connections", new { host = "127.0.0.1", port = echo.Port }), HttpStatusCode.Conflict, "Gateway:Limits:MaxSessions");
        await ApiAssert.ProblemAsync(await app.PostAsync($"/api/sessions/{recorded}/replay", new { host = "127.0.0.1", port = echo.Port }), HttpStatusCode.Conflict, "MaxSessions");
        Assert.Equal(2, (await app.GetAsync<WireSession[]>("/api/sessions")).Length);
        Assert.True((await app.GetAsync<System.Text.Json.JsonElement>("/api/stats")).GetProperty("sessionsRefused").GetInt64() >= 2);

        await app.CreateListenerAsync(new { name = "third", protocol = "tcp", port = 0 });
        await ApiAssert.ProblemAsync(await app.PostAsync("/api/listeners", new { name = "fourth", protocol = "tcp", port = 0 }), HttpStatusCode.Conflict, "Gateway:Limits:MaxListeners");
    }

    private static Socket UnixServer(string path)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(path));
        socket.Listen(4);
        return socket;
    }

    /// <summary>A closed, fully captured session of the default tcp listener whose client sent <paramref name="text"/>.</summary>
    internal static async Task<long> RecordAsync(GatewayApp app, string text)
    {
        using var client = await app.ConnectTcpAsync();
        await client.SendTextAsync(text);
        var session = await app.SessionOfAsync(client);
        await app.MessagesUntilAsync(session.Id, m => m.Length > 0, "the recorded message");
        client.Shutdown(SocketShutdown.Both);
        await app.SessionOfAsync(client, "closed");
        return session.Id;
    }
}
