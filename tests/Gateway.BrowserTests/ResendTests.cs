using System.Text;
using Gateway.Tests.Infrastructure;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Gateway.BrowserTests;

/// <summary>A message back into the composer, edited or not, and sent to a peer.</summary>
public sealed class ResendTests(ITestOutputHelper output) : DashboardTest(output)
{
    [ChromiumFact]
    public async Task Resend_PutsTheMessageInTheComposer_AndItReachesThePeer()
    {
        using var client = await App.ConnectTcpAsync();
        await client.SendAsync(new byte[] { 0x01, 0x02, 0xff }).Within();
        var session = await App.SessionOfAsync(client);
        await App.MessagesUntilAsync(session.Id, m => m.Length == 1, "the binary message");
        await client.SendTextAsync("PING 42\r\n");
        await App.MessagesUntilAsync(session.Id, m => m.Length == 2, "the text message");
        await SessionRow(session.Id).ClickAsync();
        var rows = Page.Locator("#messages .msg.in");
        await Expect(rows).ToHaveCountAsync(2, new() { Timeout = 10_000 });

        // Binary reads as hex; so does text with a CR (a textarea would turn CR LF into LF); plain text as text.
        await rows.Nth(0).Locator(".resend").ClickAsync();
        await Expect(Page.Locator("#composer-text")).ToHaveValueAsync("01 02 ff");
        await Expect(Page.Locator("#composer-encoding")).ToHaveValueAsync("hex");
        await rows.Nth(1).Locator(".resend").ClickAsync();
        await Expect(Page.Locator("#composer-text")).ToHaveValueAsync("50 49 4e 47 20 34 32 0d 0a");

        // Edited, then sent: the peer gets the edit, byte for byte.
        await Page.Locator("#composer-text").FillAsync("50 49 4e 47 20 34 33 0d 0a");
        await Page.Locator("#composer-send").ClickAsync();
        Assert.Equal("PING 43\r\n", Encoding.ASCII.GetString(await client.ReceiveExactlyAsync(9)));

        await client.SendTextAsync("hello there\n");
        await Expect(rows).ToHaveCountAsync(3, new() { Timeout = 10_000 });
        await rows.Nth(2).Locator(".resend").ClickAsync();
        await Expect(Page.Locator("#composer-encoding")).ToHaveValueAsync("utf8");
        await Expect(Page.Locator("#composer-text")).ToHaveValueAsync("hello there\n");
    }

    [ChromiumFact]
    public async Task AMessageFromHistory_ResentToAnotherSession_AndToANewConnection()
    {
        long closedId;
        using (var first = await App.ConnectTcpAsync())
        {
            await first.SendTextAsync("STATUS?\n");
            closedId = (await App.SessionOfAsync(first)).Id;
            await App.MessagesUntilAsync(closedId, m => m.Length == 1, "its message");
        }

        await Timeouts.Eventually(async () => (await App.GetAsync<System.Text.Json.JsonElement>($"/api/sessions/{closedId}")).GetProperty("state").GetString() == "closed" ? (object)true : null, "closed");
        using var other = await App.ConnectTcpAsync();
        await other.SendTextAsync("hi\n");
        var otherId = (await App.SessionOfAsync(other)).Id;

        await SessionRow(closedId).ClickAsync();
        await Expect(Page.Locator("#composer-send")).ToBeDisabledAsync(new() { Timeout = 10_000 }); // nowhere to send in a closed session
        await Page.Locator("#messages .msg.in .resend").ClickAsync();
        await Expect(Page.Locator("#composer-text")).ToHaveValueAsync("STATUS?\n");

        // Another open session.
        await Page.Locator("#composer-to").SelectOptionAsync("session");
        await Page.Locator("#composer-dest").FillAsync(otherId.ToString());
        await Page.Locator("#composer-send").ClickAsync();
        Assert.Equal("STATUS?\n", Encoding.ASCII.GetString(await other.ReceiveExactlyAsync(8)));
        await Expect(Page.Locator("#composer-result")).ToHaveTextAsync($"sent 8 bytes to session {otherId}", new() { Timeout = 10_000 });

        // A new connection to a server of the test's own: it gets the bytes, and the new session opens in the view.
        using var server = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        server.Start();
        var port = ((System.Net.IPEndPoint)server.LocalEndpoint).Port;
        var accepted = server.AcceptSocketAsync();
        await Page.Locator("#messages .msg.in .resend").ClickAsync();
        await Page.Locator("#composer-to").SelectOptionAsync("new");
        await Page.Locator("#composer-dest").FillAsync($"127.0.0.1:{port}");
        await Page.Locator("#composer-send").ClickAsync();
        using var peer = await accepted.Within();
        Assert.Equal("STATUS?\n", Encoding.ASCII.GetString(await peer.ReceiveExactlyAsync(8)));
        await Expect(Page.Locator("#session-meta")).ToContainTextAsync($"outbound tcp", new() { Timeout = 10_000 });
        await Expect(Page.Locator("#session-meta")).ToContainTextAsync($"127.0.0.1:{port}", new() { Timeout = 10_000 });
        await Expect(Page.Locator("#composer-to")).ToHaveValueAsync("");

        // A place that is not one: a readable error, nothing sent.
        await Page.Locator("#composer-text").FillAsync("x");
        await Page.Locator("#composer-to").SelectOptionAsync("new");
        await Page.Locator("#composer-dest").FillAsync("nowhere");
        await Page.Locator("#composer-send").ClickAsync();
        await Expect(Page.Locator("#toast.error")).ToContainTextAsync("host:port", new() { Timeout = 10_000 });
    }
}
