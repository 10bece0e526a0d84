using System.Net.Sockets;
using System.Text;
using Gateway.Tests.Infrastructure;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Gateway.BrowserTests;

/// <summary>History in the dashboard: search, exports and replay, against the real capture store.</summary>
public sealed class HistoryTests(ITestOutputHelper output) : DashboardTest(output)
{
    [ChromiumFact]
    public async Task SearchHistory_PickAHit_DownloadPcapngThatTsharkReads()
    {
        long sessionId;
        using (var client = await App.ConnectTcpAsync())
        {
            await client.SendTextAsync("boring first line\n");
            sessionId = (await App.SessionOfAsync(client)).Id;
            await App.MessagesUntilAsync(sessionId, m => m.Length == 1, "first line");
            await client.SendTextAsync("the needle is here\n");
            await App.MessagesUntilAsync(sessionId, m => m.Length == 2, "second line");
        }

        await Page.Locator("#history-search summary").ClickAsync();
        await Page.Locator("#search-form input[name=contains]").FillAsync("needle");
        await Page.Locator("#search-form button[type=submit]").ClickAsync();
        var hit = Page.Locator("#search-results .hit");
        await Expect(hit).ToHaveCountAsync(1, new() { Timeout = 10_000 });
        await Expect(hit).ToContainTextAsync("the needle is here", Soon);

        await hit.ClickAsync();
        await Expect(Page.Locator("#session-title")).ToContainTextAsync($"Session {sessionId}", Soon);
        await Expect(Page.Locator("#messages .msg.in").Nth(1)).ToContainTextAsync("the needle is here", Soon);

        var download = await Page.RunAndWaitForDownloadAsync(() => Page.Locator("#export-pcapng").ClickAsync());
        Assert.Equal($"session-{sessionId}.pcapng", download.SuggestedFilename);
        using var folder = new TempFolder();
        var file = Path.Combine(folder.Path, download.SuggestedFilename);
        await download.SaveAsAsync(file);
        var (fromClient, _, _, _) = await Tshark.FollowAsync(file, "tcp", 0);
        Assert.Equal("boring first line\nthe needle is here\n", Encoding.UTF8.GetString(fromClient));

        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = Browser.ArtifactPath("dashboard-history.png"), FullPage = true });
    }

    [ChromiumFact]
    public async Task LongSession_SelectingIt_ShowsTheNewestMessages() // the store keeps all 1200; the view shows the last 500
    {
        // Line framing makes each line one message, whatever the reads look like (TCP: nothing is lost).
        var lines = await App.CreateListenerAsync(new { name = "lines", protocol = "tcp", port = 0, framing = "line" });
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(System.Net.IPAddress.Loopback, lines.Port).Within();
        await client.SendTextAsync(string.Concat(Enumerable.Range(0, 1200).Select(i => $"msg {i}\n")));
        var session = await App.SessionOfAsync(client);
        await Timeouts.Eventually(async () => (await App.GetAsync<WireSession>($"/api/sessions/{session.Id}")).MessagesIn == 1200 ? "" : null, "1200 lines");

        await SessionRow(session.Id).ClickAsync();
        await Expect(Page.Locator("#messages .msg").Last).ToContainTextAsync("msg 1199", Soon);
        await Expect(Page.Locator("#messages .msg")).ToHaveCountAsync(500, new() { Timeout = 10_000 });
        await Expect(Page.Locator("#messages .msg").First).ToContainTextAsync("msg 700", Soon);
    }

    [ChromiumFact]
    public async Task ReplayButton_SendsTheRecordedBytesToAServer()
    {
        long sessionId;
        using (var client = await App.ConnectTcpAsync())
        {
            await client.SendTextAsync("LOGIN dev\n");
            sessionId = (await App.SessionOfAsync(client)).Id;
            await App.MessagesUntilAsync(sessionId, m => m.Length == 1, "login");
            await client.SendTextAsync("READ 40001\n");
            await App.MessagesUntilAsync(sessionId, m => m.Length == 2, "read");
        }

        using var server = new LoopbackServer();
        await SessionRow(sessionId).ClickAsync();
        await Page.Locator("#replay-open").ClickAsync();
        await Page.Locator("#replay-form input[name=port]").FillAsync(server.Port.ToString());
        await Page.Locator("#replay-form select[name=timing]").SelectOptionAsync("asap");
        await Page.Locator("#replay-form button[type=submit]").ClickAsync();

        using var peer = await server.AcceptAsync().Within();
        const string expected = "LOGIN dev\nREAD 40001\n";
        Assert.Equal(expected, Encoding.UTF8.GetString(await peer.ReceiveExactlyAsync(expected.Length)));
        // The dashboard moved to the new outbound session and shows what was sent.
        await Expect(Page.Locator("#session-meta")).ToContainTextAsync("outbound tcp", Soon);
        await Expect(Page.Locator("#messages .msg.out").Last).ToContainTextAsync("READ 40001", Soon);
    }
}
