using System.Net.Sockets;
using System.Text;
using Gateway.Tests.Infrastructure;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Gateway.BrowserTests;

/// <summary>Listener rules made in the dashboard, answered over a real socket; and decoded summaries on messages.</summary>
public sealed class RulesTests(ITestOutputHelper output) : DashboardTest(output)
{
    [ChromiumFact]
    public async Task AutoResponderMadeInTheDashboard_AnswersARealClient_HitsAndRulesShown()
    {
        var card = Page.Locator("#listeners [data-listener-id='tcp']");
        await card.Locator(".rules summary").ClickAsync();
        var form = card.Locator(".rule-form");
        await form.Locator("input[name=name]").FillAsync("ping");
        await form.Locator("select[name=matchKind]").SelectOptionAsync("regex");
        await form.Locator("input[name=match]").FillAsync("^PING(.*)\\r\\n");
        await form.Locator("select[name=action]").SelectOptionAsync("reply");
        await form.Locator("textarea[name=data]").FillAsync("PONG$1\\r\\n");
        await form.Locator("button[type=submit]").ClickAsync();
        await Expect(card.Locator(".rule")).ToContainTextAsync("regex ^PING(.*)\\r\\n → reply", Soon);
        Assert.False(await Page.Locator("#toast.error").IsVisibleAsync(), await Page.Locator("#toast").TextContentAsync());

        using var client = await App.ConnectTcpAsync();
        await client.SendTextAsync("PING from a device\r\n");
        Assert.Equal("PONG from a device\r\n", Encoding.ASCII.GetString(await client.ReceiveExactlyAsync(20)));

        // The hit is counted on the card, and the message shows the rule that fired.
        await Expect(card.Locator(".rule-hits")).ToContainTextAsync("1 hit", new() { Timeout = 10_000 });
        var session = await App.SessionOfAsync(client);
        await SessionRow(session.Id).ClickAsync();
        await Expect(Page.Locator("#messages .msg.in").First).ToContainTextAsync("rules: r1", Soon);
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = Browser.ArtifactPath("dashboard-rules.png"), FullPage = true });

        // Disabled from the dashboard: the next PING is not answered (the marker, a second rule added over REST, is).
        await card.Locator(".rule input[type=checkbox]").UncheckAsync();
        await Expect(card.Locator(".rule.off")).ToHaveCountAsync(1, new() { Timeout = 10_000 });
        (await App.PostAsync("/api/listeners/tcp/rules", new { match = new { text = "MARK" }, action = new { type = "reply", data = "marker" } })).EnsureSuccessStatusCode();
        await client.SendTextAsync("PING again\r\n");
        await App.MessagesUntilAsync(session.Id, m => m.Length == 3, "the second PING read");
        await client.SendTextAsync("MARK");
        Assert.Equal("marker", Encoding.ASCII.GetString(await client.ReceiveExactlyAsync(6)));
    }

    [ChromiumFact]
    public async Task DecodedSummary_ShowsOnTheMessage_LiveAndFromHistory()
    {
        var listener = await App.CreateListenerAsync(new { name = "ui-redis", protocol = "tcp", port = 0, decoder = "resp" });
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(System.Net.IPAddress.Loopback, listener.Port).Within();
        await client.SendTextAsync("*2\r\n$3\r\nGET\r\n$6\r\nuser:1\r\n");
        var session = await App.SessionOfAsync(client);
        await SessionRow(session.Id).ClickAsync();
        await Expect(Page.Locator("#messages .msg.in .summary")).ToHaveTextAsync("GET user:1", new() { Timeout = 10_000 });

        // Live: the next command's summary arrives by the hub after the message itself.
        await client.SendTextAsync("*3\r\n$3\r\nSET\r\n$6\r\nuser:2\r\n$3\r\nbob\r\n");
        await Expect(Page.Locator("#messages .msg.in .summary").Nth(1)).ToHaveTextAsync("SET user:2 \"bob\"", new() { Timeout = 10_000 });
    }

    [Fact]
    public async Task DecodedView_SelectingAFieldHighlightsItsBytes_AndABytePicksItsField()
    {
        var listener = await App.CreateListenerAsync(new { name = "ui-tree", protocol = "tcp", port = 0, decoder = "resp" });
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(System.Net.IPAddress.Loopback, listener.Port).Within();
        var command = Encoding.ASCII.GetBytes("*3\r\n$3\r\nSET\r\n$6\r\nuser:1\r\n$5\r\nalice\r\n");
        await client.SendAsync(command).Within();
        var session = await App.SessionOfAsync(client);
        var message = (await App.MessagesUntilAsync(session.Id, m => m.Length == 1, "the command"))[0];
        var key = (await App.GetAsync<System.Text.Json.JsonElement>($"/api/sessions/{session.Id}/messages/{message.Seq}/decoded"))
            .GetProperty("fields")[0].GetProperty("children")[1];
        var (offset, length) = (key.GetProperty("offset").GetInt32(), key.GetProperty("length").GetInt32());

        await SessionRow(session.Id).ClickAsync();
        var summary = Page.Locator("#messages .msg.in .summary");
        await Expect(summary).ToHaveTextAsync("SET user:1 \"alice\"", new() { Timeout = 10_000 });
        await summary.ClickAsync();
        var panel = Page.Locator("#messages .msg.in .decoded");
        await Expect(panel.Locator(".byte")).ToHaveCountAsync(command.Length, new() { Timeout = 10_000 });

        // A field: exactly its bytes light up.
        var field = panel.Locator($".field[data-offset=\"{offset}\"][data-length=\"{length}\"]");
        await Expect(field).ToContainTextAsync("user:1", Soon);
        await field.ClickAsync();
        var lit = panel.Locator(".byte.highlight");
        await Expect(lit).ToHaveCountAsync(length, new() { Timeout = 10_000 });
        Assert.Equal(Convert.ToHexString(command, offset, length).ToLowerInvariant(), string.Concat(await lit.AllTextContentsAsync()));

        // A byte: the innermost field holding it is selected (the 'a' of alice: the value, not the whole array).
        var alice = Array.LastIndexOf(command, (byte)'a');
        await panel.Locator($".byte[data-offset=\"{alice}\"]").ClickAsync();
        await Expect(panel.Locator(".field.selected")).ToContainTextAsync("alice", Soon);
        await Expect(panel.Locator(".field.selected")).Not.ToContainTextAsync("SET", Soon);

        // The summary closes it again.
        await summary.ClickAsync();
        await Expect(panel).ToHaveCountAsync(0, new() { Timeout = 10_000 });
    }

    [Fact]
    public async Task SessionDecoderChooser_DecodesTheNextMessages()
    {
        var listener = await App.CreateListenerAsync(new { name = "ui-plain", protocol = "tcp", port = 0 });
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(System.Net.IPAddress.Loopback, listener.Port).Within();
        await client.SendTextAsync("+first\r\n");
        var session = await App.SessionOfAsync(client);
        await SessionRow(session.Id).ClickAsync();
        await Expect(Page.Locator("#messages .msg.in")).ToHaveCountAsync(1, new() { Timeout = 10_000 });
        await Expect(Page.Locator("#session-decoder option[value=resp]")).ToHaveCountAsync(1, new() { Timeout = 10_000 });

        await Page.Locator("#session-decoder").SelectOptionAsync("resp");
        await Timeouts.Eventually(async () =>
            (await App.GetAsync<System.Text.Json.JsonElement>($"/api/sessions/{session.Id}/decoder")).GetProperty("decoder").GetString() == "resp" ? (object)true : null, "the session's choice");
        await client.SendTextAsync("*2\r\n$3\r\nGET\r\n$6\r\nuser:9\r\n");
        // The server decodes and stores it; then the page shows it (from the hub's event, or read back from the store).
        await Timeouts.Eventually(async () =>
            (await App.GetAsync<System.Text.Json.JsonElement[]>($"/api/messages?sessionId={session.Id}&summary=GET%20user:9")).Length == 1 ? (object)true : null, "the stored summary");
        await Expect(Page.Locator("#messages .msg.in .summary").Nth(1)).ToHaveTextAsync("GET user:9", new() { Timeout = 10_000 });
    }

    [Fact]
    public async Task HistorySearch_BySummary_ShowsTheSummaryOnTheHit()
    {
        var listener = await App.CreateListenerAsync(new { name = "ui-hist", protocol = "tcp", port = 0, decoder = "resp" });
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(System.Net.IPAddress.Loopback, listener.Port).Within();
        await client.SendTextAsync("*2\r\n$3\r\nDEL\r\n$11\r\nhistory:key\r\n");
        await Timeouts.Eventually(async () =>
            (await App.GetAsync<System.Text.Json.JsonElement[]>("/api/messages?summary=DEL%20history:key")).Length == 1 ? (object)true : null, "the stored summary");

        await Page.Locator("#history-search summary").ClickAsync();
        await Page.Locator("#search-form input[name=summary]").FillAsync("del history:");
        await Page.Locator("#search-form button[type=submit]").ClickAsync();
        var hit = Page.Locator("#search-results .hit");
        await Expect(hit).ToHaveCountAsync(1, new() { Timeout = 10_000 });
        await Expect(hit.Locator(".hit-summary")).ToHaveTextAsync("DEL history:key", new() { Timeout = 10_000 });
    }
}
