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
        await Expect(panel).ToContainTextAsync($"Session {ids[0]} ↔ {ids[1]}: 1 pairs, 1 differ", Soon);
        // Offset 10: '1' (31) in the first, '7' (37) in the second; nothing else marked.
        await Expect(panel.Locator(".diff-a .byte.diff")).ToHaveTextAsync(["31"], new() { Timeout = 10_000 });
        await Expect(panel.Locator(".diff-b .byte.diff")).ToHaveTextAsync(["37"], new() { Timeout = 10_000 });
        Assert.Equal(12, await panel.Locator(".diff-a .byte").CountAsync());
    }
}
