using System.Text.Json;
using Gateway.Tests.Infrastructure;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Gateway.BrowserTests;

/// <summary>Star, tags and a note given in the dashboard: kept by the gateway, shown in the list, in the session's capture.json.</summary>
public sealed class MarksTests(ITestOutputHelper output) : DashboardTest(output)
{
    [ChromiumFact]
    public async Task StarTagsAndNote_MadeInTheUi_AreKept_Listed_AndExported()
    {
        using var client = await App.ConnectTcpAsync();
        await client.SendTextAsync("hello\n");
        var session = await App.SessionOfAsync(client);
        await SessionRow(session.Id).ClickAsync();
        await Expect(Page.Locator("#session-title")).ToContainTextAsync($"Session {session.Id}", Soon);

        await Page.Locator("#mark-star").ClickAsync();
        await Expect(Page.Locator("#mark-star")).ToHaveAttributeAsync("aria-pressed", "true", new() { Timeout = 10_000 });
        await Page.Locator("#mark-tags").FillAsync("lab-7, suspicious");
        await Page.Locator("#mark-tags").PressAsync("Enter");
        await Page.Locator("#mark-note").FillAsync("first login of the day");
        await Page.Locator("#mark-note").PressAsync("Tab");

        await Expect(Page.Locator("#marks-text")).ToHaveTextAsync("#lab-7 #suspicious · first login of the day", new() { Timeout = 10_000 });
        await Expect(SessionRow(session.Id)).ToContainTextAsync($"★ {session.Id}", Soon);
        var marks = (await App.GetAsync<JsonElement>($"/api/sessions/{session.Id}")).GetProperty("annotations");
        Assert.True(marks.GetProperty("starred").GetBoolean());
        Assert.Equal(["lab-7", "suspicious"], marks.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        Assert.Contains("first login of the day", (await App.GetAsync<JsonElement>($"/api/sessions/{session.Id}/capture.json")).GetRawText());

        // The filter finds it by tag.
        await Page.Locator("#session-filter").FillAsync("suspicious");
        await Expect(Page.Locator("#sessions tbody tr[data-session-id]")).ToHaveCountAsync(1, new() { Timeout = 10_000 });
    }

    [ChromiumFact]
    public async Task AMessage_StarredAndTaggedInTheUi_IsKept_AndShownFromHistory()
    {
        using var client = await App.ConnectTcpAsync();
        await client.SendTextAsync("password=hunter2\n");
        var session = await App.SessionOfAsync(client);
        var seq = (await App.MessagesUntilAsync(session.Id, m => m.Length == 1, "the message"))[0].Seq;
        await SessionRow(session.Id).ClickAsync();
        var row = Page.Locator($"#messages .msg[data-seq='{seq}']");
        await Expect(row).ToHaveCountAsync(1, new() { Timeout = 10_000 });

        await row.Locator(".msg-star").ClickAsync();
        await Expect(row.Locator(".msg-star")).ToHaveAttributeAsync("aria-pressed", "true", new() { Timeout = 10_000 });
        await row.Locator(".msg-mark").ClickAsync();
        await row.Locator(".msg-mark-form input[name=tags]").FillAsync("credentials, leak");
        await row.Locator(".msg-mark-form input[name=note]").FillAsync("sent in clear");
        await row.Locator(".msg-mark-form input[name=note]").PressAsync("Enter");
        await Expect(row.Locator(".msg-marks")).ToHaveTextAsync("★ #credentials #leak sent in clear", new() { Timeout = 10_000 });

        var stored = (await App.GetAsync<JsonElement>($"/api/sessions/{session.Id}/messages"))[0].GetProperty("annotations");
        Assert.True(stored.GetProperty("starred").GetBoolean());
        Assert.Equal(["credentials", "leak"], stored.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal("sent in clear", stored.GetProperty("note").GetString());

        // A fresh page reads them from history.
        await Page.ReloadAsync();
        await SessionRow(session.Id).ClickAsync();
        await Expect(row.Locator(".msg-marks")).ToHaveTextAsync("★ #credentials #leak sent in clear", new() { Timeout = 10_000 });
    }
}
