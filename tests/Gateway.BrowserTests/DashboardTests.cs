using System.Net.Sockets;
using System.Text;
using Gateway.Tests.Infrastructure;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Gateway.BrowserTests;

/// <summary>The dashboard in real Chromium against the real app and a raw TCP client.</summary>
public sealed class DashboardTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly LocatorAssertionsToContainTextOptions Soon = new() { Timeout = 10_000 };

    private GatewayApp _app = null!;
    private IPlaywright _playwright = null!;
    private IBrowser _browser = null!;
    private IPage _page = null!;

    public async Task InitializeAsync()
    {
        _app = await GatewayApp.StartAsync();
        (_playwright, _browser) = await Browser.LaunchAsync();
        _page = await _browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1366, Height = 800 } });
        _page.SetDefaultTimeout(10_000);
        _page.Console += (_, message) => output.WriteLine($"browser {message.Type}: {message.Text}");
        await _page.GotoAsync(_app.BaseAddress.ToString());
        await Expect(_page.Locator("#status")).ToHaveAttributeAsync("data-state", "connected", new() { Timeout = 10_000 });
    }

    public async Task DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
        await _app.DisposeAsync();
    }

    [ChromiumFact]
    public async Task ClientSends_MessageAppears_ComposerReplyReachesTheClient()
    {
        using var client = await _app.ConnectTcpAsync();
        await client.SendTextAsync("hello from device\n");
        var session = await _app.SessionOfAsync(client);

        await _page.Locator($"#sessions tr[data-session-id='{session.Id}']").ClickAsync();
        await Expect(_page.Locator("#messages .msg.in")).ToContainTextAsync("hello from device", Soon);

        await _page.Locator("#composer-text").FillAsync("reply from the browser");
        await _page.Locator("#composer-send").ClickAsync();

        var received = await client.ReceiveExactlyAsync("reply from the browser".Length);
        Assert.Equal("reply from the browser", Encoding.UTF8.GetString(received));
        await Expect(_page.Locator("#messages .msg.out")).ToContainTextAsync("reply from the browser", Soon);

        // Live: a message sent after selection appears without a reload.
        await client.SendTextAsync("second line\n");
        await Expect(_page.Locator("#messages .msg.in").Nth(1)).ToContainTextAsync("second line", Soon);
        await Expect(_page.Locator("#listeners [data-listener-id='tcp']")).ToContainTextAsync("listening", Soon);

        var path = Browser.ArtifactPath("dashboard-session.png");
        await _page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        output.WriteLine($"screenshot: {path}");
    }

    [ChromiumFact]
    public async Task HexComposerAndView_CloseButton_ClientSeesEof()
    {
        using var client = await _app.ConnectTcpAsync();
        await client.SendAllAsync([0x00, 0x01, 0xfe, 0xff]);
        var session = await _app.SessionOfAsync(client);
        await _page.Locator($"#sessions tr[data-session-id='{session.Id}']").ClickAsync();

        await _page.Locator("#view-hex").ClickAsync();
        await Expect(_page.Locator("#messages .msg.in")).ToContainTextAsync("00 01 fe ff", Soon);

        await _page.Locator("#composer-encoding").SelectOptionAsync("hex");
        await _page.Locator("#composer-text").FillAsync("ca fe");
        await _page.Locator("#composer-send").ClickAsync();
        Assert.Equal(new byte[] { 0xca, 0xfe }, await client.ReceiveExactlyAsync(2));

        await _page.Locator("#close-session").ClickAsync();
        Assert.Empty(await client.ReceiveToEndAsync());
        await Expect(_page.Locator($"#sessions tr[data-session-id='{session.Id}']")).ToContainTextAsync("closed", Soon);

        await _page.ScreenshotAsync(new PageScreenshotOptions { Path = Browser.ArtifactPath("dashboard-hex-closed.png") });
    }

    [ChromiumFact]
    public async Task GatewayRestarts_StatusShowsReconnecting_ThenConnectedAgain()
    {
        var address = _app.BaseAddress;
        await _app.DisposeAsync();

        await Expect(_page.Locator("#status")).ToHaveAttributeAsync("data-state", new System.Text.RegularExpressions.Regex("reconnecting|disconnected"), new() { Timeout = 10_000 });
        _app = await GatewayApp.StartAsync(new Dictionary<string, string?> { ["Urls"] = address.ToString().TrimEnd('/') });

        await Expect(_page.Locator("#status")).ToHaveAttributeAsync("data-state", "connected", new() { Timeout = 20_000 });
        using var client = await _app.ConnectTcpAsync();
        var session = await _app.SessionOfAsync(client);
        await Expect(_page.Locator($"#sessions tr[data-session-id='{session.Id}']")).ToContainTextAsync("open", Soon);
    }

    [ChromiumFact]
    public async Task BadHexInComposer_ShowsTheServersReason()
    {
        using var client = await _app.ConnectTcpAsync();
        var session = await _app.SessionOfAsync(client);
        await _page.Locator($"#sessions tr[data-session-id='{session.Id}']").ClickAsync();

        await _page.Locator("#composer-encoding").SelectOptionAsync("hex");
        await _page.Locator("#composer-text").FillAsync("abc");
        await _page.Locator("#composer-send").ClickAsync();

        await Expect(_page.Locator("#toast")).ToContainTextAsync("odd count", Soon);
        client.Blocking = false;
        Assert.Equal(0, client.Available);
    }
}
