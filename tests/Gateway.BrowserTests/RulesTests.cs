using System.Net.Sockets;
using System.Text;
using Gateway.Tests.Infrastructure;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Gateway.BrowserTests;

/// <summary>Listener rules made in the dashboard, answered over a real socket.</summary>
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
}
