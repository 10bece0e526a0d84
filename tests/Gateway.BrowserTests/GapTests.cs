using System.Text.Json;
using Gateway.Tests.Infrastructure;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Gateway.BrowserTests;

/// <summary>A page that lost live events (its hub queue overflowed) fills the gap from REST: it ends up showing every message.</summary>
public sealed class GapTests(ITestOutputHelper output) : DashboardTest(output)
{
    [ChromiumFact]
    public async Task MessagesTheHubDropped_AreReadBackFromTheStore()
    {
        // A hub queue of one event: a burst overflows it, and the page is sent only some of the messages.
        await App.DisposeAsync();
        App = await GatewayApp.StartAsync(new Dictionary<string, string?> { ["Gateway:Watch:ClientQueueCapacity"] = "1" });
        await Page.GotoAsync(App.BaseAddress.ToString());
        await Expect(Page.Locator("#status")).ToHaveAttributeAsync("data-state", "connected", new() { Timeout = 10_000 });

        // Line framing: one write of sixty lines is sixty messages at once, more than the queue holds.
        var listener = await App.CreateListenerAsync(new { name = "lines", protocol = "tcp", port = 0, framing = "line" });
        using var client = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        await client.ConnectAsync(System.Net.IPAddress.Loopback, listener.Port).Within();
        await client.SendTextAsync("first\n");
        var session = await App.SessionOfAsync(client);
        await SessionRow(session.Id).ClickAsync();
        await Expect(Page.Locator("#messages .msg.in")).ToHaveCountAsync(1, new() { Timeout = 10_000 });

        await client.SendTextAsync(string.Concat(Enumerable.Range(0, 60).Select(i => $"burst {i}\n")));

        var stored = await Timeouts.Eventually(async () =>
        {
            var messages = await App.GetAsync<JsonElement[]>($"/api/sessions/{session.Id}/messages");
            return messages.Sum(m => m.GetProperty("size").GetInt32()) == 6 + Enumerable.Range(0, 60).Sum(i => $"burst {i}\n".Length) ? messages : null;
        }, "every byte stored");
        Assert.True((await App.GetAsync<JsonElement>("/api/stats")).GetProperty("dropped").GetInt64() > 0, "the burst overflowed the page's hub queue (else this test proves nothing)");

        // Within a few polls the view holds every stored message, in order.
        await Expect(Page.Locator("#messages .msg.in")).ToHaveCountAsync(stored.Length, new() { Timeout = 20_000 });
        var seqs = await Page.Locator("#messages .msg.in").EvaluateAllAsync<long[]>("rows => rows.map(r => Number(r.dataset.seq))");
        Assert.Equal(stored.Select(m => m.GetProperty("seq").GetInt64()), seqs);
    }
}
