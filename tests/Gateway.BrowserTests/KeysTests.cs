using System.Net;
using Gateway.Tests.Infrastructure;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Gateway.BrowserTests;

/// <summary>The session list from the keyboard: j/k move, Enter opens, / filters, ? lists the keys.</summary>
public sealed class KeysTests(ITestOutputHelper output) : DashboardTest(output)
{
    [ChromiumFact]
    public async Task JkEnterSlashAndQuestionMark_DriveTheSessionList()
    {
        var clients = new List<System.Net.Sockets.Socket>();
        var sessions = new List<WireSession>();
        for (var i = 0; i < 3; i++)
        {
            var client = await App.ConnectTcpAsync();
            await client.SendTextAsync("hi\n");
            clients.Add(client);
            sessions.Add(await App.SessionOfAsync(client));
        }

        var rows = Page.Locator("#sessions tbody tr[data-session-id]");
        await Expect(rows).ToHaveCountAsync(3, new() { Timeout = 10_000 });
        await Page.Locator("body").ClickAsync(new() { Position = new() { X = 5, Y = 5 } }); // nothing focused that takes keys

        // Newest first: j lands on the first row, j again on the second; Enter opens it.
        await Page.Keyboard.PressAsync("j");
        await Page.Keyboard.PressAsync("j");
        var second = sessions.OrderByDescending(s => s.Id).ElementAt(1);
        await Expect(Page.Locator("#sessions tbody tr.cursor")).ToHaveAttributeAsync("data-session-id", second.Id.ToString());
        await Page.Keyboard.PressAsync("Enter");
        await Expect(Page.Locator("#session-title")).ToContainTextAsync($"Session {second.Id}", Soon);

        // / focuses the filter: one remote port leaves one row.
        await Page.Keyboard.PressAsync("/");
        var port = ((IPEndPoint)clients[0].LocalEndPoint!).Port.ToString();
        await Page.Keyboard.TypeAsync(port);
        await Expect(rows).ToHaveCountAsync(1, new() { Timeout = 10_000 });
        await Expect(rows).ToContainTextAsync(port);
        await Page.Keyboard.PressAsync("Escape");

        // ? lists the keys, Esc closes the list.
        await Page.Keyboard.PressAsync("?");
        await Expect(Page.Locator("#keys-help")).ToBeVisibleAsync();
        await Expect(Page.Locator("#keys-help")).ToContainTextAsync("next / previous session");
        await Page.Keyboard.PressAsync("Escape");
        await Expect(Page.Locator("#keys-help")).ToBeHiddenAsync();
        clients.ForEach(c => c.Dispose());
    }
}
