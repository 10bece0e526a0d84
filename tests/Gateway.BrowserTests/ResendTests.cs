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
}
