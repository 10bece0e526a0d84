using System.Net;
using System.Net.Sockets;
using System.Text;
using Gateway.Tests.Infrastructure;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Gateway.BrowserTests;

/// <summary>Creating and stopping listeners and opening outbound connections from the dashboard.</summary>
public sealed class ListenersAndConnectionsTests(ITestOutputHelper output) : IAsyncLifetime
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
        _page = await _browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1366, Height = 900 } });
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
    public async Task NewListenerForm_CreatesALineListener_StopButtonStopsIt()
    {
        await _page.Locator("#new-listener summary").ClickAsync();
        await _page.Locator("#listener-form input[name=name]").FillAsync("ui-lines");
        await _page.Locator("#listener-form select[name=framing]").SelectOptionAsync("line");
        await _page.Locator("#listener-form button[type=submit]").ClickAsync();

        var card = _page.Locator("#listeners [data-listener-id='ui-lines']");
        await Expect(card).ToContainTextAsync("listening", Soon);
        await Expect(card).ToContainTextAsync("line", Soon);
        var listener = await _app.GetAsync<WireListener>("/api/listeners/ui-lines");
        Assert.Equal("line", listener.Framing);

        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(IPAddress.Loopback, listener.Port).Within();
        await client.SendTextAsync("alpha\nbeta\n");
        var session = await _app.SessionOfAsync(client);
        await _page.Locator($"#sessions tr[data-session-id='{session.Id}']").ClickAsync();
        await Expect(_page.Locator("#messages .msg.in")).ToHaveCountAsync(2, new() { Timeout = 10_000 });

        await card.Locator(".stop-listener").ClickAsync();
        await Expect(card).ToHaveCountAsync(0, new() { Timeout = 10_000 });
        Assert.Empty(await client.ReceiveToEndAsync());
        Assert.DoesNotContain(await _app.GetListenersAsync(), l => l.Id == "ui-lines");
    }

    [ChromiumFact]
    public async Task ConnectToForm_OpensAnOutboundSession_ComposerTalksToTheServer()
    {
        using var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        server.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        server.Listen();
        var accepting = server.AcceptAsync();

        await _page.Locator("#connect-to summary").ClickAsync();
        await _page.Locator("#connect-form input[name=host]").FillAsync("127.0.0.1");
        await _page.Locator("#connect-form input[name=port]").FillAsync(((IPEndPoint)server.LocalEndPoint!).Port.ToString());
        await _page.Locator("#connect-form button[type=submit]").ClickAsync();
        using var peer = await accepting.Within();

        // The new session is selected: what the server says shows up, the composer reaches the server.
        await Expect(_page.Locator("#session-meta")).ToContainTextAsync("outbound", Soon);
        await peer.SendTextAsync("server banner\n");
        await Expect(_page.Locator("#messages .msg.in")).ToContainTextAsync("server banner", Soon);
        await _page.Locator("#composer-text").FillAsync("client says hi");
        await _page.Locator("#composer-send").ClickAsync();
        Assert.Equal("client says hi", Encoding.ASCII.GetString(await peer.ReceiveExactlyAsync(14)));
        await Expect(_page.Locator("#sessions .badge.outbound")).ToHaveCountAsync(1, new() { Timeout = 10_000 });

        await _page.ScreenshotAsync(new PageScreenshotOptions { Path = Browser.ArtifactPath("dashboard-outbound.png"), FullPage = true });
    }

    [ChromiumFact]
    public async Task ConnectToForm_Refused_ShowsTheReason()
    {
        int port;
        using (var probe = new PortSquatter())
        {
            port = probe.Port;
        }

        await _page.Locator("#connect-to summary").ClickAsync();
        await _page.Locator("#connect-form input[name=port]").FillAsync(port.ToString());
        await _page.Locator("#connect-form button[type=submit]").ClickAsync();

        await Expect(_page.Locator("#toast")).ToContainTextAsync("refused", Soon);
    }
}
