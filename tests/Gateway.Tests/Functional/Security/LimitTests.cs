using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Functional.Security;

/// <summary>Session limits, connection floods and silent (slowloris-style) connections, over real sockets.</summary>
public sealed class LimitTests
{
    [Fact]
    public async Task MaxSessionsPerListener_ExtraConnectionsResetAtOnceAndCounted_RoomAgainAfterAClose()
    {
        await using var app = await GatewayApp.StartAsync(new Dictionary<string, string?> { ["Gateway:Limits:MaxSessionsPerListener"] = "3" });
        var clients = new List<Socket>();
        for (var i = 0; i < 3; i++)
        {
            clients.Add(await app.ConnectTcpAsync());
            await app.SessionOfAsync(clients[^1]);
        }

        await AssertRefusedAsync(app.TcpPort);

        var listener = (await app.GetListenersAsync()).Single(l => l.Name == "tcp");
        Assert.Equal(1, listener.Refused);
        Assert.Equal(3, listener.Sessions);
        Assert.Equal(1, (await app.GetAsync<WireStats>("/api/stats")).SessionsRefused);

        clients[0].Dispose();
        await Timeouts.Eventually(async () => (await app.GetListenersAsync()).Single(l => l.Name == "tcp").Sessions == 2 ? "" : null, "a slot free");
        using var again = await app.ConnectTcpAsync();
        await again.SendTextAsync("admitted");
        await app.SessionOfAsync(again);
        clients.ForEach(c => c.Dispose());
    }

    [Fact]
    public async Task MaxSessions_AcrossListenersAndUdpPeers()
    {
        await using var app = await GatewayApp.StartAsync(new Dictionary<string, string?> { ["Gateway:Limits:MaxSessions"] = "2" });
        using var a = await app.ConnectTcpAsync();
        await app.SessionOfAsync(a);
        using var udp = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        await udp.SendAsync("one"u8.ToArray(), new IPEndPoint(IPAddress.Loopback, app.UdpPort)).Within();
        await app.SessionOfAsync(udp.Client);

        using var third = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        await third.SendAsync("refused"u8.ToArray(), new IPEndPoint(IPAddress.Loopback, app.UdpPort)).Within();
        await AssertRefusedAsync(app.TcpPort);
        await Timeouts.Eventually(async () => (await app.GetAsync<WireStats>("/api/stats")).SessionsRefused == 2 ? "" : null, "two refusals");
        Assert.Equal(2, (await app.GetAsync<WireSession[]>("/api/sessions")).Length);
    }

    [Fact]
    public async Task ConnectionFlood_PastTheLimit_RefusedCounted_ApiStaysFast()
    {
        await using var app = await GatewayApp.StartAsync(new Dictionary<string, string?>
        {
            ["Gateway:Limits:MaxSessionsPerListener"] = "50",
            ["Gateway:Tcp:Backlog"] = "1024",
        });
        using var stop = new CancellationTokenSource();
        var latencies = new List<double>();
        var probe = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var clock = Stopwatch.StartNew();
                (await app.Http.GetAsync("/api/stats").Within()).EnsureSuccessStatusCode();
                lock (latencies)
                {
                    latencies.Add(clock.Elapsed.TotalMilliseconds);
                }

                await Task.Delay(20);
            }
        });

        var sockets = new List<Socket>();
        for (var i = 0; i < 400; i++)
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            sockets.Add(socket);
            try
            {
                await socket.ConnectAsync(IPAddress.Loopback, app.TcpPort).Within();
            }
            catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionReset)
            {
                // Refused: the gateway reset it as soon as it was accepted.
            }
        }

        await Timeouts.Eventually(async () => (await app.GetAsync<WireStats>("/api/stats")).SessionsRefused == 350 ? "" : null, "350 refused");
        Assert.Equal(50, (await app.GetListenersAsync()).Single(l => l.Name == "tcp").Sessions);
        await stop.CancelAsync();
        await probe.Within();
        sockets.ForEach(s => s.Dispose());

        Assert.NotEmpty(latencies);
        Assert.True(latencies.Max() < 1000, $"API latency during the flood: max {latencies.Max():F0} ms");
    }

    [Fact]
    public async Task SilentConnections_IdleTimeout_AllClosedWithTheReason()
    {
        await using var app = await GatewayApp.StartAsync();
        var listener = await app.CreateListenerAsync(new { name = "idle", protocol = "tcp", port = 0, idleTimeoutSeconds = 1 });
        var sockets = new List<Socket>();
        for (var i = 0; i < 50; i++)
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(IPAddress.Loopback, listener.Port).Within();
            sockets.Add(socket);
        }

        // A talker stays: only silence is timed out.
        using var talker = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await talker.ConnectAsync(IPAddress.Loopback, listener.Port).Within();
        var clock = Stopwatch.StartNew();
        var talking = Task.Run(async () =>
        {
            while (clock.Elapsed < TimeSpan.FromSeconds(2.5))
            {
                await talker.SendTextAsync(".");
                await Task.Delay(200);
            }
        });

        foreach (var socket in sockets)
        {
            Assert.Empty(await socket.ReceiveToEndAsync(TimeSpan.FromSeconds(5)));
        }

        Assert.InRange(clock.Elapsed.TotalSeconds, 0.5, 3);
        await talking.Within();
        var sessions = await app.GetAsync<WireSession[]>("/api/sessions?listenerId=idle&state=all");
        Assert.Equal(50, sessions.Count(s => s.CloseReason == "idle timeout"));
        Assert.Single(sessions, s => s.State == "open");
        sockets.ForEach(s => s.Dispose());

        var problem = await ApiAssert.ProblemAsync(await app.PostAsync("/api/listeners", new { name = "bad", protocol = "tcp", idleTimeoutSeconds = 0 }), HttpStatusCode.BadRequest);
        Assert.Contains("idleTimeoutSeconds", problem.Detail);
    }

    /// <summary>A new connection is accepted and at once reset (on loopback the reset may beat the connect's own completion).</summary>
    private static async Task AssertRefusedAsync(int port)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(IPAddress.Loopback, port).Within();
            Assert.Empty(await socket.ReceiveToEndAsync(TimeSpan.FromSeconds(5)));
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionReset)
        {
            // Reset: as intended.
        }
    }
}
