using Gateway.Tests.Infrastructure;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Gateway.BrowserTests;

/// <summary>Two sessions compared in the dashboard: the one changed byte is the one marked, in both.</summary>
public sealed class DiffTests(ITestOutputHelper output) : DashboardTest(output)
{
    [ChromiumFact]
    public async Task DiffOfTwoSessions_MarksTheOneChangedByte()
    {
        var ids = new List<long>();
        foreach (var command in new[] { "SET temp 21\n", "SET temp 27\n" })
        {
            using var client = await App.ConnectTcpAsync();
            await client.SendTextAsync(command);
            var session = await App.SessionOfAsync(client);
            await App.MessagesUntilAsync(session.Id, m => m.Length == 1, "the command");
            ids.Add(session.Id);
        }

        await SessionRow(ids[0]).ClickAsync();
        await Page.Locator("#diff-with").FillAsync(ids[1].ToString());
        await Page.Locator("#diff-open").ClickAsync();
        var panel = Page.Locator("#diff-panel");
        await Expect(panel).ToContainTextAsync($"Session {ids[0]} ↔ {ids[1]}: 1 pair, 1 differs", Soon);
        // Offset 10: '1' in the first, '7' in the second; nothing else marked. In text, then in hex (31, 37).
        await Expect(panel.Locator(".diff-a .byte.diff")).ToHaveTextAsync(["1"], new() { Timeout = 10_000 });
        await Expect(panel.Locator(".diff-b .byte.diff")).ToHaveTextAsync(["7"], new() { Timeout = 10_000 });
        Assert.Equal(12, await panel.Locator(".diff-a .byte").CountAsync());
        await Expect(panel.Locator(".diff-a .byte").Last).ToHaveTextAsync("\\n");
        await Page.Locator("#view-hex").ClickAsync();
        await Expect(panel.Locator(".diff-a .byte.diff")).ToHaveTextAsync(["31"], new() { Timeout = 10_000 });
        await Expect(panel.Locator(".diff-b .byte.diff")).ToHaveTextAsync(["37"], new() { Timeout = 10_000 });
    }

    [ChromiumFact]
    public async Task DiffOfTwoMessages_PickedWithCompare_MarksTheChangedBytes()
    {
        using var client = await App.ConnectTcpAsync();
        await client.SendTextAsync("temp=21.5\n");
        var session = await App.SessionOfAsync(client);
        await App.MessagesUntilAsync(session.Id, m => m.Length == 1, "the first reading");
        await client.SendTextAsync("temp=29.5\n");
        var messages = await App.MessagesUntilAsync(session.Id, m => m.Length == 2, "the second reading");
        await SessionRow(session.Id).ClickAsync();
        var rows = Page.Locator("#messages .msg.in");
        await Expect(rows).ToHaveCountAsync(2, new() { Timeout = 10_000 });

        await rows.Nth(0).Locator(".compare").ClickAsync();
        await Expect(rows.Nth(0)).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("picked"), new() { Timeout = 10_000 });
        await rows.Nth(1).Locator(".compare").ClickAsync();
        var panel = Page.Locator("#diff-panel");
        await Expect(panel).ToContainTextAsync($"Message #{messages[0].Seq} ↔ #{messages[1].Seq}: 1 pair, 1 differs", Soon);
        await Expect(panel.Locator(".diff-a .byte.diff")).ToHaveTextAsync(["1"], new() { Timeout = 10_000 });
        await Expect(panel.Locator(".diff-b .byte.diff")).ToHaveTextAsync(["9"], new() { Timeout = 10_000 });
        await Expect(Page.Locator("#messages .msg.picked")).ToHaveCountAsync(0);
    }
}
