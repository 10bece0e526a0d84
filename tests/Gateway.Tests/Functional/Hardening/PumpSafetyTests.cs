using System.Collections.Immutable;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Gateway.Faults;
using Gateway.Listeners;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Functional.Hardening;

/// <summary>
/// A fault can never kill a pump or a listener, and holds are bounded in bytes. The faults that throw
/// here are put on the listener behind the API's back (the API refuses them): they stand for any bug.
/// </summary>
public sealed class PumpSafetyTests
{
    [Fact]
    public async Task TcpRelay_UnexpectedExceptionInAPump_ClosesTheSessionWithTheReason()
    {
        await using var app = await GatewayApp.StartAsync();
        using var upstream = new LoopbackServer();
        var (client, server) = await ConnectThroughRelayAsync(app, upstream, "r", intercept: false);
        using var _ = client;
        using var __ = server;
        Listener(app, "r").UpdatePolicy(p => p with { Faults = [new FaultInfo("bug", FaultType.Bandwidth, "in", 1, Kbps: 0)] }); // x / 0 kbps: TimeSpan overflow

        await client.SendTextAsync("boom");
        var closed = await app.SessionOfAsync(client, "closed");
        Assert.Contains("internal error", closed.CloseReason);
        // Both legs were let go: the upstream sees the end after what was written before the failure.
        var buffer = new byte[16];
        int read;
        do
        {
            try
            {
                read = await server.ReceiveAsync(buffer).Within();
            }
            catch (SocketException)
            {
                read = 0; // reset
            }
        }
        while (read > 0);
    }

    [Fact]
    public async Task UdpRelay_ExceptionWhileHandlingADatagram_ClosesThatSessionWithTheReason_ListenerKeepsServing()
    {
        await using var app = await GatewayApp.StartAsync();
        using var upstream = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var relay = await app.CreateListenerAsync(new { name = "ur", protocol = "udp", port = 0, upstream = $"127.0.0.1:{((IPEndPoint)upstream.Client.LocalEndPoint!).Port}" });
        var listener = Listener(app, "ur");
        listener.UpdatePolicy(p => p with { Faults = [new FaultInfo("bug", FaultType.Latency, "in", 1, Ms: 0, JitterMs: -5)] }); // Random(5, -4) throws
        using var client = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        await client.SendAsync(Encoding.ASCII.GetBytes("lost"), new IPEndPoint(IPAddress.Loopback, relay.Port)).Within();
        var failed = await Timeouts.Eventually(async () =>
            (await app.GetAsync<WireSession[]>("/api/sessions?state=closed")).FirstOrDefault(s => s.ListenerId == "ur"), "the first peer's session closed");
        Assert.Contains("internal error", failed.CloseReason);

        // A second peer's datagram, once the fault is gone, is the marker: the listener still serves.
        listener.UpdatePolicy(p => p with { Faults = [] });
        using var second = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        await second.SendAsync(Encoding.ASCII.GetBytes("marker"), new IPEndPoint(IPAddress.Loopback, relay.Port)).Within();
        var received = await upstream.ReceiveAsync().Within();
        Assert.Equal("marker", Encoding.ASCII.GetString(received.Buffer));
        Assert.Equal("listening", (await app.GetAsync<WireListener>("/api/listeners/ur")).State);
    }

    [Fact]
    public async Task UdpRelay_HeldDatagrams_BoundedInBytesPerSession_RestDroppedAndCounted()
    {
        await using var app = await GatewayApp.StartAsync(new Dictionary<string, string?> { ["Gateway:Intercept:MaxHeldBytesPerSession"] = "100000" });
        using var upstream = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var relay = await app.CreateListenerAsync(new { name = "uh", protocol = "udp", port = 0, upstream = $"127.0.0.1:{((IPEndPoint)upstream.Client.LocalEndPoint!).Port}" });
        await app.Http.PutAsJsonAsync("/api/listeners/uh/intercept", new { enabled = true, direction = "in" }, GatewayApp.Json).Within();
        using var client = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var to = new IPEndPoint(IPAddress.Loopback, relay.Port);
        var datagram = new byte[10_000];
        for (var i = 0; i < 40; i++)
        {
            datagram[0] = (byte)i;
            await client.SendAsync(datagram, to).Within();
            await Task.Delay(5); // paced, so that the kernel's receive buffer drops none of them
        }

        // 400,000 bytes sent while the first is held; at most 100,000 wait. The marker shows all were handled.
        var stats = await Timeouts.Eventually(async () =>
        {
            var s = await app.GetAsync<System.Text.Json.JsonElement>("/api/stats");
            var held = s.GetProperty("held");
            return held.GetProperty("droppedDatagrams").GetInt64() + held.GetProperty("bytes").GetInt64() / 10_000 >= 40 ? (object)s : null;
        }, "every datagram held or dropped");
        var heldStats = ((System.Text.Json.JsonElement)stats).GetProperty("held");
        Assert.InRange(heldStats.GetProperty("bytes").GetInt64(), 10_000, 100_000);
        Assert.True(heldStats.GetProperty("droppedDatagrams").GetInt64() >= 30);
        Assert.Equal(100_000, heldStats.GetProperty("maxBytesPerSession").GetInt64());
    }

    [Fact]
    public async Task Held_ListedAsPreviewsWithSize_WholeMessageById()
    {
        await using var app = await GatewayApp.StartAsync(new Dictionary<string, string?> { ["Gateway:Intercept:PreviewBytes"] = "16" });
        using var upstream = new LoopbackServer();
        var (client, server) = await ConnectThroughRelayAsync(app, upstream, "p", intercept: true);
        using var _ = client;
        using var __ = server;
        var text = "0123456789abcdefghijklmnopqrstuvwxyz";
        await client.SendTextAsync(text);

        var listed = await Timeouts.Eventually(async () => (await app.GetAsync<WireHeldPreview[]>("/api/held")).SingleOrDefault(), "the held message");
        Assert.Equal(text.Length, listed.Size);
        Assert.True(listed.Truncated);
        Assert.Equal(text[..16], Encoding.ASCII.GetString(listed.Data));
        var whole = await app.GetAsync<WireHeldPreview>($"/api/held/{listed.Id}");
        Assert.False(whole.Truncated);
        Assert.Equal(text, Encoding.ASCII.GetString(whole.Data));
        await ApiAssert.ProblemAsync(await app.Http.GetAsync("/api/held/999999").Within(), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task TcpRelay_FullHoldLane_StillNoticesTheClientsReset()
    {
        await using var app = await GatewayApp.StartAsync(new Dictionary<string, string?> { ["Gateway:Intercept:MaxHeldBytesPerSession"] = "1000" });
        using var upstream = new LoopbackServer();
        var (client, server) = await ConnectThroughRelayAsync(app, upstream, "f", intercept: true);
        using var __ = server;
        await client.SendAllAsync(new byte[5000]); // held; the lane is then over its 1,000 bytes
        var session = await app.SessionOfAsync(client);
        await Timeouts.Eventually(async () => (await app.GetAsync<WireHeldPreview[]>("/api/held")).FirstOrDefault(), "a held message");

        client.LingerState = new LingerOption(true, 0);
        client.Dispose(); // RST
        var closed = await Timeouts.Eventually(async () =>
        {
            var s = await app.GetAsync<WireSession>($"/api/sessions/{session.Id}");
            return s.State == "closed" ? s : null;
        }, "the session closed after the client's reset");
        Assert.Contains("client", closed.CloseReason);
        Assert.Empty(await app.GetAsync<WireHeldPreview[]>("/api/held"));
        Assert.Equal(0, (await app.GetAsync<System.Text.Json.JsonElement>("/api/stats")).GetProperty("held").GetProperty("bytes").GetInt64());
    }

    /// <summary>A relay listener to <paramref name="upstream"/> (intercepting everything clients send, if asked), and one client through it.</summary>
    private static async Task<(Socket Client, Socket Server)> ConnectThroughRelayAsync(GatewayApp app, LoopbackServer upstream, string name, bool intercept)
    {
        var relay = await app.CreateListenerAsync(new { name, protocol = "tcp", port = 0, upstream = $"127.0.0.1:{upstream.Port}" });
        if (intercept)
        {
            (await app.Http.PutAsJsonAsync($"/api/listeners/{name}/intercept", new { enabled = true, direction = "in" }, GatewayApp.Json).Within()).EnsureSuccessStatusCode();
        }

        return await upstream.ConnectThroughAsync(relay.Port);
    }

    private static GatewayListener Listener(GatewayApp app, string name) =>
        app.Services.GetRequiredService<ListenerManager>().Find(name)!;

    private sealed record WireHeldPreview(long Id, long SessionId, string Direction, int Size, byte[] Data, bool Truncated);
}
