using System.Net;
using System.Net.Sockets;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Functional;

/// <summary>A peer that does not read slows only its own session, and its backlog is bounded.</summary>
public sealed class BackPressureTests
{
    [Fact]
    public async Task PeerNotReading_ItsSendsAreRefusedPastTheBound_OtherSessionsUnaffected()
    {
        await using var app = await GatewayApp.StartAsync(new Dictionary<string, string?>
        {
            ["Gateway:Limits:MaxPendingSendBytes"] = "1048576",
        });
        using var deaf = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
        await deaf.ConnectAsync(new IPEndPoint(IPAddress.Loopback, app.TcpPort)).Within();
        using var healthy = await app.ConnectTcpAsync();
        var deafSession = await app.SessionOfAsync(deaf);
        var healthySession = await app.SessionOfAsync(healthy);
        var chunk = Convert.ToBase64String(new byte[256 * 1024]);

        // Kernel buffers absorb some; then the session's outbox fills to its bound and further sends get 409.
        HttpResponseMessage? refused = null;
        var accepted = 0;
        for (var i = 0; i < 200 && refused is null; i++)
        {
            var response = await app.PostAsync($"/api/sessions/{deafSession.Id}/send", new { data = chunk, encoding = "base64" });
            if (response.StatusCode == HttpStatusCode.Accepted)
            {
                accepted++;
            }
            else
            {
                refused = response;
            }
        }

        Assert.NotNull(refused);
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Contains("not reading", await refused.Content.ReadAsStringAsync());
        Assert.True(accepted >= 4, $"accepted {accepted} sends before refusing");

        // The healthy session is served at once.
        var ok = await app.PostAsync($"/api/sessions/{healthySession.Id}/send", new { data = "still fast" });
        Assert.Equal(HttpStatusCode.Accepted, ok.StatusCode);
        Assert.Equal("still fast"u8.ToArray(), await healthy.ReceiveExactlyAsync(10, TimeSpan.FromSeconds(2)));

        // Once the deaf peer reads, everything that was accepted arrives, in full.
        var expected = accepted * 256 * 1024;
        var received = 0;
        var buffer = new byte[64 * 1024];
        using var cts = new CancellationTokenSource(Timeouts.Default);
        while (received < expected)
        {
            received += await deaf.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
        }

        Assert.Equal(expected, received);
    }

    [Fact]
    public async Task RelayUpstreamNotReading_TheRelayStopsReadingTheClient_NothingPilesUp()
    {
        await using var app = await GatewayApp.StartAsync();
        using var upstream = new LoopbackServer();
        var relay = await app.CreateListenerAsync(new { name = "stuck", protocol = "tcp", port = 0, upstream = $"127.0.0.1:{upstream.Port}" });
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { SendBufferSize = 64 * 1024 };
        await client.ConnectAsync(IPAddress.Loopback, relay.Port).Within();
        using var stuck = await upstream.AcceptAsync().Within(); // accepts, never reads

        // Push for two seconds: the kernel buffers fill, then the relay stops reading and the client's sends stall.
        var chunk = new byte[64 * 1024];
        long pushed = 0;
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try
        {
            while (true)
            {
                pushed += await client.SendAsync(chunk, SocketFlags.None, stop.Token);
            }
        }
        catch (OperationCanceledException)
        {
            // Stalled, as intended.
        }

        var session = await app.SessionOfAsync(client);
        Assert.True(pushed < 64L * 1024 * 1024, $"{pushed} bytes went in: nothing held the client back");
        // What the gateway read is bounded by socket buffers and one read buffer per direction, not by what the client wanted to send.
        Assert.True(session.BytesIn < 32L * 1024 * 1024, $"the relay read {session.BytesIn} bytes it could not deliver");
        Assert.Equal("open", session.State);
    }
}
