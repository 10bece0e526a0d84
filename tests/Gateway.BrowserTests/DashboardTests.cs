using System.Net.Sockets;
using System.Text;
using Gateway.Tests.Infrastructure;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Gateway.BrowserTests;

/// <summary>The dashboard in real Chromium against the real app and a raw TCP client.</summary>
public sealed class DashboardTests(ITestOutputHelper output) : DashboardTest(output)
{
    [ChromiumFact]
    public async Task ClientSends_MessageAppears_ComposerReplyReachesTheClient()
    {
        using var client = await App.ConnectTcpAsync();
        await client.SendTextAsync("hello from device\n");
        var session = await App.SessionOfAsync(client);

        await SessionRow(session.Id).ClickAsync();
        await Expect(Page.Locator("#messages .msg.in")).ToContainTextAsync("hello from device", Soon);

        await Page.Locator("#composer-text").FillAsync("reply from the browser");
        await Page.Locator("#composer-send").ClickAsync();

        var received = await client.ReceiveExactlyAsync("reply from the browser".Length);
        Assert.Equal("reply from the browser", Encoding.UTF8.GetString(received));
        await Expect(Page.Locator("#messages .msg.out")).ToContainTextAsync("reply from the browser", Soon);

        // Live: a message sent after selection appears without a reload.
        await client.SendTextAsync("second line\n");
        await Expect(Page.Locator("#messages .msg.in").Nth(1)).ToContainTextAsync("second line", Soon);
        await Expect(Page.Locator("#listeners [data-listener-id='tcp']")).ToContainTextAsync("listening", Soon);
        await Expect(Page.Locator("#auth")).ToContainTextAsync("open: no API keys", Soon); // no keys configured: the dashboard says so

        var path = Browser.ArtifactPath("dashboard-session.png");
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        Output.WriteLine($"screenshot: {path}");
    }

    [ChromiumFact]
    public async Task HexComposerAndView_CloseButton_ClientSeesEof()
    {
        using var client = await App.ConnectTcpAsync();
        await client.SendAllAsync([0x00, 0x01, 0xfe, 0xff]);
        var session = await App.SessionOfAsync(client);
        await SessionRow(session.Id).ClickAsync();

        await Page.Locator("#view-hex").ClickAsync();
        await Expect(Page.Locator("#messages .msg.in")).ToContainTextAsync("00 01 fe ff", Soon);

        await Page.Locator("#composer-encoding").SelectOptionAsync("hex");
        await Page.Locator("#composer-text").FillAsync("ca fe");
        await Page.Locator("#composer-send").ClickAsync();
        Assert.Equal(new byte[] { 0xca, 0xfe }, await client.ReceiveExactlyAsync(2));

        await Page.Locator("#close-session").ClickAsync();
        Assert.Empty(await client.ReceiveToEndAsync());
        await Expect(SessionRow(session.Id)).ToContainTextAsync("closed", Soon);

        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = Browser.ArtifactPath("dashboard-hex-closed.png") });
    }

    [ChromiumFact]
    public async Task GatewayRestarts_StatusShowsReconnecting_ThenConnectedAgain()
    {
        var address = App.BaseAddress;
        await App.DisposeAsync();

        await Expect(Page.Locator("#status")).ToHaveAttributeAsync("data-state", new System.Text.RegularExpressions.Regex("reconnecting|disconnected"), new() { Timeout = 10_000 });
        App = await GatewayApp.StartAsync(new Dictionary<string, string?> { ["Urls"] = address.ToString().TrimEnd('/') });

        await Expect(Page.Locator("#status")).ToHaveAttributeAsync("data-state", "connected", new() { Timeout = 20_000 });
        using var client = await App.ConnectTcpAsync();
        var session = await App.SessionOfAsync(client);
        await Expect(SessionRow(session.Id)).ToContainTextAsync("open", Soon);
    }

    [ChromiumFact]
    public async Task BadHexInComposer_ShowsTheServersReason()
    {
        using var client = await App.ConnectTcpAsync();
        var session = await App.SessionOfAsync(client);
        await SessionRow(session.Id).ClickAsync();

        await Page.Locator("#composer-encoding").SelectOptionAsync("hex");
        await Page.Locator("#composer-text").FillAsync("abc");
        await Page.Locator("#composer-send").ClickAsync();

        await Expect(Page.Locator("#toast")).ToContainTextAsync("odd count", Soon);
        client.Blocking = false;
        Assert.Equal(0, client.Available);
    }
}
