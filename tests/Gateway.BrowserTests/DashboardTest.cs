using Gateway.Tests.Infrastructure;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Gateway.BrowserTests;

/// <summary>A running gateway and a Chromium page on its dashboard, connected to the hub.</summary>
public abstract class DashboardTest(ITestOutputHelper output) : IAsyncLifetime
{
    protected static readonly LocatorAssertionsToContainTextOptions Soon = new() { Timeout = 10_000 };

    private IPlaywright _playwright = null!;
    private IBrowser _browser = null!;

    protected GatewayApp App { get; set; } = null!;

    protected IPage Page { get; private set; } = null!;

    protected ITestOutputHelper Output { get; } = output;

    public async Task InitializeAsync()
    {
        App = await GatewayApp.StartAsync();
        (_playwright, _browser) = await Browser.LaunchAsync();
        Page = await _browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1366, Height = 900 } });
        Page.SetDefaultTimeout(10_000);
        Page.Console += (_, message) => Output.WriteLine($"browser {message.Type}: {message.Text}");
        await Page.GotoAsync(App.BaseAddress.ToString());
        await Expect(Page.Locator("#status")).ToHaveAttributeAsync("data-state", "connected", new() { Timeout = 10_000 });
    }

    public async Task DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
        await App.DisposeAsync();
    }

    protected ILocator SessionRow(long sessionId) => Page.Locator($"#sessions tr[data-session-id='{sessionId}']");
}
