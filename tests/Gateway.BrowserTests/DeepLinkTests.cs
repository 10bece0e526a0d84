using Gateway.Tests.Infrastructure;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Gateway.BrowserTests;

/// <summary>Every session and message has an address that opens it.</summary>
public sealed class DeepLinkTests(ITestOutputHelper output) : DashboardTest(output)
{
    [ChromiumFact]
    public async Task MessageLink_OpensItsSession_AndMarksTheMessage()
    {
        using var client = await App.ConnectTcpAsync();
        var session = default(WireSession);
        foreach (var line in new[] { "first\n", "second\n", "third\n" })
        {
            await client.SendTextAsync(line);
            session ??= await App.SessionOfAsync(client);
            await App.MessagesUntilAsync(session.Id, m => m.Any(x => System.Text.Encoding.ASCII.GetString(x.Data) == line), line.Trim());
        }

        var second = (await App.MessagesAsync(session!.Id)).Single(m => System.Text.Encoding.ASCII.GetString(m.Data) == "second\n");
        await Page.GotoAsync(new Uri(App.BaseAddress, $"/#/sessions/{session.Id}/messages/{second.Seq}").ToString());
        await Expect(Page.Locator("#session-title")).ToContainTextAsync($"Session {session.Id}", Soon);
        var linked = Page.Locator("#messages .msg.linked");
        await Expect(linked).ToHaveAttributeAsync("data-seq", second.Seq.ToString(), new() { Timeout = 10_000 });
        await Expect(linked).ToContainTextAsync("second", Soon);

        // A message's #seq makes its link; selecting another session makes that session's.
        await Page.Locator($"#messages .msg[data-seq='{second.Seq + 1}'] .meta").ClickAsync();
        await Expect(Page.Locator("#messages .msg.linked")).ToHaveAttributeAsync("data-seq", (second.Seq + 1).ToString(), new() { Timeout = 10_000 });
        Assert.EndsWith($"#/sessions/{session.Id}/messages/{second.Seq + 1}", Page.Url);
    }
}
