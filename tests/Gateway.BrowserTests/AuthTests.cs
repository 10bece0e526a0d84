using System.Net.Sockets;
using Gateway.Tests.Infrastructure;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Gateway.BrowserTests;

/// <summary>The dashboard against a gateway with API keys: it asks for a key and shows a viewer only what a viewer may do.</summary>
public sealed class AuthTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly LocatorAssertionsToContainTextOptions Soon = new() { Timeout = 10_000 };
    private IPlaywright _playwright = null!;
    private IBrowser _browser = null!;
    private GatewayApp _app = null!;

    public async Task InitializeAsync()
    {
        _app = await GatewayApp.StartAsync(Keys.Settings(), Keys.Admin);
        (_playwright, _browser) = await Browser.LaunchAsync();
    }

    public async Task DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
        await _app.DisposeAsync();
    }

    [ChromiumFact]
    public async Task ViewerKey_AskedFor_WatchesButCannotInject()
    {
        var page = await _browser.NewPageAsync();
        page.SetDefaultTimeout(10_000);
        page.Console += (_, message) => output.WriteLine($"browser {message.Type}: {message.Text}");
        await page.GotoAsync(_app.BaseAddress.ToString());

        // No key yet: the dashboard asks. A wrong key is refused with the reason.
        await Expect(page.Locator("#key-dialog")).ToBeVisibleAsync();
        await page.Locator("#key-input").FillAsync("not-the-right-key-at-all");
        await page.Locator("#key-form button[type=submit]").ClickAsync();
        await Expect(page.Locator("#key-error")).ToContainTextAsync("not valid", Soon);
        await page.Locator("#key-input").FillAsync(Keys.Viewer);
        await page.Locator("#key-form button[type=submit]").ClickAsync();
        await Expect(page.Locator("#status")).ToHaveAttributeAsync("data-state", "connected", new() { Timeout = 10_000 });
        await Expect(page.Locator("#auth")).ToContainTextAsync("viewer-key · viewer", Soon);

        // Watching works.
        using var client = await _app.ConnectTcpAsync();
        await client.SendTextAsync("telemetry 42\n");
        var session = await _app.SessionOfAsync(client);
        await page.Locator($"#sessions tr[data-session-id='{session.Id}']").ClickAsync();
        await Expect(page.Locator("#messages .msg.in")).ToContainTextAsync("telemetry 42", Soon);

        // Nothing that injects or changes things is offered.
        foreach (var selector in new[] { "#composer", "#close-session", "#abort-session", "#replay-open", "#new-listener", "#connect-to", "#listeners .broadcast", "#listeners .stop-listener" })
        {
            await Expect(page.Locator(selector).First).ToBeHiddenAsync();
        }

        // And the API refuses it even when the page tries anyway, over REST and over the hub.
        var status = await page.EvaluateAsync<int>(
            "async id => (await fetch(`/api/sessions/${id}/send`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Api-Key': sessionStorage.getItem('gateway.apiKey') }, body: JSON.stringify({ data: 'injected' }) })).status",
            session.Id);
        Assert.Equal(403, status);
        var hubError = await page.EvaluateAsync<string>(
            """
            async id => {
              const hub = new signalR.HubConnectionBuilder().withUrl("hubs/traffic", { accessTokenFactory: () => sessionStorage.getItem('gateway.apiKey') }).build();
              await hub.start();
              try { await hub.invoke("Send", id, "injected", "utf8"); return "sent"; } catch (e) { return e.message; } finally { await hub.stop(); }
            }
            """, session.Id);
        Assert.Contains("unauthorized", hubError, StringComparison.OrdinalIgnoreCase);
        client.ReceiveTimeout = 500;
        Assert.Throws<SocketException>(() => client.Receive(new byte[16])); // nothing reached the peer

        // Exports work with the key, which stays out of the URL.
        var download = await page.RunAndWaitForDownloadAsync(() => page.Locator("#export-json").ClickAsync());
        using var folder = new TempFolder();
        var file = Path.Combine(folder.Path, "s.json");
        await download.SaveAsAsync(file);
        Assert.Contains("telemetry 42", System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(
            System.Text.Json.JsonDocument.Parse(await File.ReadAllTextAsync(file)).RootElement.GetProperty("messages")[0].GetProperty("data").GetString()!)));

        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Browser.ArtifactPath("dashboard-viewer.png"), FullPage = true });
    }

    [ChromiumFact]
    public async Task OperatorKey_CanInject_ButNotManageListeners()
    {
        var page = await _browser.NewPageAsync();
        await page.GotoAsync(_app.BaseAddress.ToString());
        await page.Locator("#key-input").FillAsync(Keys.Operator);
        await page.Locator("#key-form button[type=submit]").ClickAsync();
        await Expect(page.Locator("#status")).ToHaveAttributeAsync("data-state", "connected", new() { Timeout = 10_000 });

        using var client = await _app.ConnectTcpAsync();
        await client.SendTextAsync("hello\n");
        var session = await _app.SessionOfAsync(client);
        await page.Locator($"#sessions tr[data-session-id='{session.Id}']").ClickAsync();
        await Expect(page.Locator("#composer")).ToBeVisibleAsync();
        await page.Locator("#composer-text").FillAsync("from an operator");
        await page.Locator("#composer-send").ClickAsync();
        Assert.Equal("from an operator", System.Text.Encoding.UTF8.GetString(await client.ReceiveExactlyAsync(16)));
        await Expect(page.Locator("#new-listener")).ToBeHiddenAsync();
        await Expect(page.Locator("#listeners .stop-listener").First).ToBeHiddenAsync();
    }
}
