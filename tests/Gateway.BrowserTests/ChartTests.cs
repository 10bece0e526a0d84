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
}
