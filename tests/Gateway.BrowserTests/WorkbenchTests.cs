using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Gateway.Tests.Infrastructure;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Gateway.BrowserTests;

/// <summary>The session list as the workbench's main pane: ten thousand real sessions, server-side filters, sort and paging, and only the rows in view in the DOM.</summary>
/// <remarks>Run alone, after the other browser tests: ten thousand connections would slow whatever shares the machine with them.</remarks>
[Collection(nameof(WorkbenchTests))]
public sealed class WorkbenchTests(ITestOutputHelper output) : DashboardTest(output)
{
    private const int Sessions = 10_000;

    [ChromiumFact]
    public async Task TenThousandSessions_FilterByTextAndTag_SortAndScroll_WithOnlyTheRowsInViewDrawn()
    {
        // Ten thousand real TCP sessions, sixteen at a time: each sends one line and closes.
        var listener = await App.CreateListenerAsync(new { name = "many", protocol = "tcp", port = 0 });
        await Parallel.ForEachAsync(Enumerable.Range(0, Sessions), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, _) =>
        {
            using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await client.ConnectAsync(IPAddress.Loopback, listener.Port).Within();
            await client.SendAsync(System.Text.Encoding.ASCII.GetBytes($"reading {i}\n")).Within();
            client.Shutdown(SocketShutdown.Both);
        }).Within(TimeSpan.FromMinutes(3));
        await Timeouts.Eventually(async () =>
        {
            var stats = await App.GetAsync<JsonElement>("/api/stats");
            return stats.GetProperty("sessionsTotal").GetInt64() >= Sessions && stats.GetProperty("sessionsOpen").GetInt64() == 0 ? (object)true : null;
        }, "ten thousand sessions, all closed", TimeSpan.FromMinutes(2));

        // Three of them tagged (the API's path; the UI's is tested below), one found by its remote port.
        var all = await App.GetAsync<JsonElement[]>($"/api/sessions?listenerId=many&state=all&sort=id&limit={Sessions}");
        Assert.Equal(Sessions, all.Length);
        var ids = all.Select(s => s.GetProperty("id").GetInt64()).ToArray();
        var tagged = new[] { ids[17], ids[4_321], ids[9_876] };
        foreach (var id in tagged)
        {
            (await App.Http.PutAsJsonAsync($"/api/sessions/{id}/annotations", new { starred = false, tags = new[] { "needle" }, note = (string?)null }).Within()).EnsureSuccessStatusCode();
        }

        await Page.ReloadAsync();
        await Expect(Page.Locator("#status")).ToHaveAttributeAsync("data-state", "connected", new() { Timeout = 10_000 });
        var rows = Page.Locator("#sessions tbody tr[data-session-id]");
        await Expect(SessionRow(ids[^1])).ToBeVisibleAsync(new() { Timeout = 10_000 }); // newest first
        Assert.InRange(await rows.CountAsync(), 10, 100); // a screenful and a margin, not ten thousand

        // Text: one remote port, one row (the server filters ten thousand).
        // (Ten thousand connections reuse ephemeral ports, and a port is text that longer ports contain: the rows
        // expected are all whose addresses hold it.)
        var text = all[5_000].GetProperty("remote").GetString()!;
        var wanted = all.Where(s => s.GetProperty("remote").GetString()!.Contains(text, StringComparison.Ordinal) || s.GetProperty("local").GetString()!.Contains(text, StringComparison.Ordinal))
            .Select(s => s.GetProperty("id").GetInt64().ToString()).Reverse().ToArray();
        Assert.InRange(wanted.Length, 1, 20);
        await Page.Locator("#session-filter").FillAsync(text);
        await RowsAreAsync(rows, wanted);

        // Tag: exactly the three, newest first.
        await Page.Locator("#session-filter").FillAsync("");
        await Page.Locator("#filter-tag").FillAsync("needle");
        await RowsAreAsync(rows, tagged.OrderDescending().Select(id => id.ToString()).ToArray());
        await Page.Locator("#filter-tag").FillAsync("");

        // Sort by id, ascending (two clicks on '#'): the oldest first.
        await Page.Locator("#sessions th[data-sort=id]").ClickAsync();
        await Expect(Page.Locator("#sessions th[data-sort=id]")).ToHaveAttributeAsync("aria-sort", "ascending", new() { Timeout = 5_000 });
        await Expect(rows.First).ToHaveAttributeAsync("data-session-id", ids[0].ToString(), new() { Timeout = 5_000 });
        await Page.Locator("#sessions th[data-sort=id]").ClickAsync();
        await Expect(rows.First).ToHaveAttributeAsync("data-session-id", ids[^1].ToString(), new() { Timeout = 5_000 });

        // Scrolling: pages load as the view nears their end, until the oldest session; every frame is drawn quickly
        // and the DOM never holds more than a screenful of rows.
        var scrolled = await Page.EvaluateAsync<JsonElement>($$"""
            async () => {
              const scroller = document.getElementById("sessions-scroll");
              const frame = () => new Promise((r) => requestAnimationFrame(() => r()));
              let worst = 0, most = 0;
              for (let i = 0; i < 400 && !document.querySelector('#sessions tr[data-session-id="{{ids[0]}}"]'); i++) {
                const start = performance.now();
                scroller.scrollTop += scroller.clientHeight * 3;
                await frame(); await frame();
                worst = Math.max(worst, performance.now() - start);
                most = Math.max(most, document.querySelectorAll("#sessions tbody tr[data-session-id]").length);
                await new Promise((r) => setTimeout(r, 20));
              }
              return { found: !!document.querySelector('#sessions tr[data-session-id="{{ids[0]}}"]'), worst, most,
                       loaded: Number(document.getElementById("sessions").dataset.rows) };
            }
            """);
        Output.WriteLine($"scroll to the end: {scrolled}");
        Assert.True(scrolled.GetProperty("found").GetBoolean(), $"the oldest session was reached: {scrolled}");
        Assert.True(scrolled.GetProperty("loaded").GetInt32() >= Sessions, $"all pages loaded: {scrolled}");
        Assert.InRange(scrolled.GetProperty("most").GetInt32(), 10, 100);
        // What a scroll step costs the page: drawing the rows in view, whatever the number loaded (wall time between frames also counts whatever else the machine runs).
        var slowest = double.Parse((await Page.Locator("#sessions").GetAttributeAsync("data-slowest-draw"))!, System.Globalization.CultureInfo.InvariantCulture);
        Output.WriteLine($"slowest draw of the list: {slowest} ms");
        Assert.True(slowest < 100, $"drawing the list took {slowest} ms at worst; a screenful of rows should take a few: {scrolled}");

        // The middle: the row at the top of the view is the one at that position in the order.
        var top = await Page.EvaluateAsync<long>("""
            async () => {
              const scroller = document.getElementById("sessions-scroll");
              scroller.scrollTop = 5000 * 26;
              await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
              const head = document.querySelector("#sessions th").getBoundingClientRect(); // sticky: the top of the view
              const box = scroller.getBoundingClientRect();
              const hit = document.elementFromPoint(box.left + 30, head.bottom + 13);
              return Number(hit?.closest("tr")?.dataset.sessionId ?? -1);
            }
            """);
        Assert.Equal(ids[^(5_000 + 1)], top);
    }

    /// <summary>Waits (5 s at most: the filters answer quickly) until the list shows exactly these sessions, in this order; a count alone could match the previous filter's rows.</summary>
    private static async Task RowsAreAsync(ILocator rows, string[] ids)
    {
        string[] shown = [];
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (DateTime.UtcNow < deadline)
        {
            shown = await rows.EvaluateAllAsync<string[]>("rs => rs.map(r => r.dataset.sessionId)");
            if (shown.SequenceEqual(ids))
            {
                return;
            }

            await Task.Delay(50);
        }

        Assert.Equal(ids, shown);
    }

    [ChromiumFact]
    public async Task ATagGivenInTheUi_SurvivesARestart_AndTravelsInCaptureJson()
    {
        using var folder = new TempFolder();
        var database = new Dictionary<string, string?> { ["ConnectionStrings:Capture"] = GatewayApp.CaptureDatabase(folder) };
        await App.DisposeAsync();
        App = await GatewayApp.StartAsync(database);
        await OpenDashboardAsync();

        long id;
        using (var client = await App.ConnectTcpAsync())
        {
            await client.SendTextAsync("keep me\n");
            id = (await App.SessionOfAsync(client)).Id;
            await SessionRow(id).ClickAsync();
            await Page.Locator("#mark-tags").FillAsync("evidence");
            await Page.Locator("#mark-tags").PressAsync("Enter");
            await Expect(Page.Locator("#marks-text")).ToHaveTextAsync("#evidence", new() { Timeout = 10_000 });
        }

        await Timeouts.Eventually(async () => (await App.GetAsync<JsonElement>($"/api/sessions/{id}")).GetProperty("state").GetString() == "closed" ? (object)true : null, "closed");
        await App.DisposeAsync();
        App = await GatewayApp.StartAsync(database);
        await OpenDashboardAsync();

        await Page.Locator("#filter-tag").FillAsync("evidence");
        var rows = Page.Locator("#sessions tbody tr[data-session-id]");
        await Expect(rows).ToHaveCountAsync(1, new() { Timeout = 10_000 });
        await Expect(rows).ToHaveAttributeAsync("data-session-id", id.ToString());
        await Expect(rows.Locator(".tag-chip")).ToHaveTextAsync("evidence");
        var json = await App.GetAsync<JsonElement>($"/api/sessions/{id}/capture.json");
        Assert.Contains("evidence", json.GetRawText());
    }

    private async Task OpenDashboardAsync()
    {
        await Page.GotoAsync(App.BaseAddress.ToString());
        await Expect(Page.Locator("#status")).ToHaveAttributeAsync("data-state", "connected", new() { Timeout = 10_000 });
    }
}

/// <summary>The workbench's load test runs with nothing beside it.</summary>
[CollectionDefinition(nameof(WorkbenchTests), DisableParallelization = true)]
public sealed class WorkbenchTestsCollection;
