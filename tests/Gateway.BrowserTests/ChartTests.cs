using Gateway.Tests.Infrastructure;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Gateway.BrowserTests;

/// <summary>The traffic chart moves while traffic flows, fed by the hub's counters event.</summary>
public sealed class ChartTests(ITestOutputHelper output) : DashboardTest(output)
{
    [ChromiumFact]
    public async Task Chart_ShowsTheRateWhileTrafficFlows_ForTheGatewayAndOneListener()
    {
        using var client = await App.ConnectTcpAsync();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var chunk = new byte[4096];
        var sending = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await client.SendAsync(chunk);
                await Task.Delay(50);
            }
        });

        var chart = Page.Locator("#traffic-chart");
        await Expect(chart).ToHaveAttributeAsync("data-last-in", new System.Text.RegularExpressions.Regex("^[1-9][0-9]*$"), new() { Timeout = 10_000 });
        await Expect(Page.Locator("#chart-rate")).ToContainTextAsync("/s in", Soon);
        Assert.True(await chart.Locator("canvas").CountAsync() > 0, "uPlot drew nothing");

        // One listener's own rate: the tcp listener carries this traffic.
        await Page.Locator("#chart-scope").SelectOptionAsync("tcp");
        await Expect(chart).ToHaveAttributeAsync("data-points", new System.Text.RegularExpressions.Regex("^[1-9]"), new() { Timeout = 10_000 });
        await Expect(chart).ToHaveAttributeAsync("data-last-in", new System.Text.RegularExpressions.Regex("^[1-9][0-9]*$"), new() { Timeout = 10_000 });
        await stop.CancelAsync();
        await sending.ContinueWith(_ => { });
    }

    [ChromiumFact]
    public async Task SessionChart_FollowsTheSelectedSession_AndItsTimelineOpensAMessage()
    {
        using var quiet = await App.ConnectTcpAsync();
        await quiet.SendTextAsync("one\n");
        var quietSession = await App.SessionOfAsync(quiet);
        using var busy = await App.ConnectTcpAsync();
        await busy.SendTextAsync("first\n");
        var busySession = await App.SessionOfAsync(busy);
        await App.MessagesUntilAsync(busySession.Id, m => m.Length == 1, "the first message");

        // The selected session's own rate: the chart scope follows the selection, fed by the counters the hub sends for watched sessions.
        await SessionRow(busySession.Id).ClickAsync();
        await Page.Locator("#chart-scope").SelectOptionAsync("@session");
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var sending = Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested && i < 200; i++)
            {
                await busy.SendAsync(System.Text.Encoding.ASCII.GetBytes($"reading {i}\n"));
                await Task.Delay(100);
            }
        });
        var chart = Page.Locator("#traffic-chart");
        await Expect(chart).ToHaveAttributeAsync("data-last-in", new System.Text.RegularExpressions.Regex("^[1-9][0-9]*$"), new() { Timeout = 10_000 });

        // Another session selected: its chart starts over, and stays at zero while it is quiet (a marker, not a sleep: a point is drawn each second).
        await SessionRow(quietSession.Id).ClickAsync();
        await Expect(chart).ToHaveAttributeAsync("data-points", "2", new() { Timeout = 10_000 });
        await Expect(chart).ToHaveAttributeAsync("data-last-in", "0");
        await stop.CancelAsync();
        await sending.ContinueWith(_ => { });

        // The timeline: one point per message; a click on the newest opens it.
        await SessionRow(busySession.Id).ClickAsync();
        var count = (await App.MessagesAsync(busySession.Id)).Length;
        var timeline = Page.Locator("#session-timeline");
        await Expect(timeline).ToHaveAttributeAsync("data-points", count.ToString(), new() { Timeout = 10_000 });
        var over = timeline.Locator(".u-over");
        var box = (await over.BoundingBoxAsync())!;
        await over.ClickAsync(new() { Position = new() { X = box.Width - 1, Y = box.Height / 2 } });
        var newest = (await App.MessagesAsync(busySession.Id)).Max(m => m.Seq);
        await Expect(Page.Locator("#messages .msg.linked")).ToHaveAttributeAsync("data-seq", newest.ToString(), new() { Timeout = 10_000 });
        await Expect(Page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex($"#/sessions/{busySession.Id}/messages/{newest}$"));
    }
}
