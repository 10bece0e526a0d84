using System.Text;
using System.Threading.Channels;
using Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR.Client;

namespace Gateway.Tests.Functional;

/// <summary>A hub client that stops reading loses its own events; the sockets and the other clients go on.</summary>
public sealed class SlowObserverTests
{
    [Fact]
    public async Task StalledHubClient_DoesNotSlowTheDataPlaneOrAFastClient()
    {
        await using var app = await GatewayApp.StartAsync(new Dictionary<string, string?>
        {
            // Full-size previews make the stalled client's share big enough to block its socket quickly.
            ["Gateway:Watch:MaxPreviewBytes"] = "65536",
            ["Gateway:Watch:ClientQueueCapacity"] = "32",
        });
        await using var stalled = await StalledHubClient.ConnectAsync(app.BaseAddress, "*");
        await using var fast = await app.ConnectHubAsync();
        var fastTraffic = Channel.CreateUnbounded<WireMessage>();
        fast.On<WireMessage[]>("traffic", batch => Array.ForEach(batch, m => fastTraffic.Writer.TryWrite(m)));
        await fast.InvokeAsync("Watch", "*").Within();

        // 32 MiB through one session: ~43 MB of JSON for each watcher, far past the stalled one's buffers.
        using var flood = await app.ConnectTcpAsync();
        var floodSession = await app.SessionOfAsync(flood);
        var chunk = new byte[64 * 1024];
        Random.Shared.NextBytes(chunk);
        const int chunks = 512;
        for (var i = 0; i < chunks; i++)
        {
            await flood.SendAllAsync(chunk);
        }

        // The data plane recorded every byte while the stalled client was not reading.
        await Timeouts.Eventually(async () =>
            (await app.GetAsync<WireSession>($"/api/sessions/{floodSession.Id}")).BytesIn == chunks * chunk.Length ? "" : null,
            "all flooded bytes recorded", TimeSpan.FromSeconds(20));

        // The fast client keeps up. Its own small queue may still be full of flood when a marker
        // arrives (and drop it, counted), so markers go every 100 ms until one is seen.
        using var marker = await app.ConnectTcpAsync();
        var markerSession = await app.SessionOfAsync(marker);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var floodSeen = 0L;
        var sender = Task.Run(async () =>
        {
            while (!cts.IsCancellationRequested)
            {
                await marker.SendTextAsync("marker");
                await Task.Delay(100);
            }
        });
        while (true)
        {
            var m = await fastTraffic.Reader.ReadAsync(cts.Token);
            if (m.SessionId == floodSession.Id)
            {
                floodSeen += m.Size;
            }
            else if (m.SessionId == markerSession.Id)
            {
                Assert.StartsWith("marker", Encoding.UTF8.GetString(m.Data));
                break;
            }
        }

        await cts.CancelAsync();
        await sender.Within();
        Assert.True(floodSeen > 0, "the fast client saw the flood");

        // What the clients lost is counted, not hidden: the stalled one alone cannot have taken 43 MB.
        var stats = await app.GetAsync<WireStats>("/api/stats");
        Assert.True(stats.Dropped > 0, $"dropped = {stats.Dropped}");
    }
}
