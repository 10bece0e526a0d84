using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Gateway.Tests.Infrastructure;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Gateway.BrowserTests;

/// <summary>A test that needs Chromium and a cluster's servers (PostgreSQL, redis-server); skipped as each of those is, never under CI.</summary>
public sealed class ClusterChromiumFactAttribute : FactAttribute
{
    public ClusterChromiumFactAttribute() => Skip = ChromiumFactAttribute.SkipReason ?? GatewayCluster.SkipReason;
}

/// <summary>The dashboard on one node of a real cluster: its nodes and sockets, another node's session through a Redis outage, a node lost.</summary>
public sealed class ClusterDashboardTests(ITestOutputHelper output)
{
    [ClusterChromiumFact]
    public async Task ADashboardOnOneNode_ShowsTheNodes_FillsWhatRedisLostFromRest_AndShowsANodeLost()
    {
        await using var cluster = await GatewayCluster.StartAsync();
        var (n1, n2) = (cluster.Nodes[0], cluster.Nodes[1]);
        var (playwright, browser) = await Browser.LaunchAsync();
        try
        {
            var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1366, Height = 900 } });
            page.SetDefaultTimeout(10_000);
            page.Console += (_, message) => output.WriteLine($"browser {message.Type}: {message.Text}");
            await page.GotoAsync(n1.Http.BaseAddress!.ToString());
            await Expect(page.Locator("#status")).ToHaveAttributeAsync("data-state", "connected", new() { Timeout = 10_000 });

            // The cluster in the top bar, and each node's socket of the listener "tcp".
            await Expect(page.Locator("#nodes .node-chip[data-state=active]")).ToHaveCountAsync(3, new() { Timeout = 10_000 });
            await Expect(page.Locator("#nodes")).ToContainTextAsync("n2 · ");
            await Expect(page.Locator("#listeners [data-listener-id=tcp] .listener-nodes")).ToHaveTextAsync("n1 listening · n2 listening · n3 listening");

            // n2's session, opened in n1's dashboard.
            using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await client.ConnectAsync(IPAddress.Parse(n2.Address), n2.TcpPort).Within();
            await client.SendAsync("before\n"u8.ToArray()).Within();
            var remote = client.LocalEndPoint!.ToString();
            var id = (long)await Timeouts.Eventually<object>(async () =>
                (await n1.Http.GetFromJsonAsync<JsonElement[]>("/api/sessions").Within())!
                    .Where(s => s.GetProperty("remote").GetString() == remote).Select(s => (object)s.GetProperty("id").GetInt64()).FirstOrDefault(), "n2's session");
            var row = page.Locator($"#sessions tr[data-session-id='{id}']");
            await Expect(row).ToContainTextAsync("n2", new() { Timeout = 10_000 });
            await Expect(page.Locator("#stat-open")).Not.ToHaveTextAsync("0", new() { Timeout = 10_000 }); // n2's session counts in n1's header
            await row.ClickAsync();
            await Expect(page.Locator("#messages .msg.in")).ToHaveCountAsync(1, new() { Timeout = 10_000 });

            // Redis away for 5 s: what the client says meanwhile is relayed and stored by n2, but its live events cannot reach n1.
            await cluster.RedisOutageAsync(TimeSpan.FromSeconds(5), async () =>
            {
                await Timeouts.Eventually(async () => await n1.Http.GetStringAsync("/healthz").Within() == "Degraded" ? (object)true : null, "n1 degraded");
                for (var i = 1; i <= 3; i++)
                {
                    await client.SendAsync(Encoding.ASCII.GetBytes($"during {i}\n")).Within();
                    await Task.Delay(300); // three reads, three messages
                }
            });

            // The page ends up with every stored message, in seq order, read back from REST.
            var stored = await Timeouts.Eventually(async () =>
            {
                var messages = await n1.Http.GetFromJsonAsync<JsonElement[]>($"/api/sessions/{id}/messages").Within();
                return messages!.Sum(m => m.GetProperty("size").GetInt32()) == "before\n".Length + 3 * "during 1\n".Length ? messages : null;
            }, "every byte stored on n2");
            await Expect(page.Locator("#messages .msg.in")).ToHaveCountAsync(stored.Length, new() { Timeout = 30_000 });
            var seqs = await page.Locator("#messages .msg.in").EvaluateAllAsync<long[]>("rows => rows.map(r => Number(r.dataset.seq))");
            Assert.Equal(stored.Select(m => m.GetProperty("seq").GetInt64()), seqs);

            // And it goes on: a message after the outage reaches the page too.
            await Timeouts.Eventually(async () => await n1.Http.GetStringAsync("/healthz").Within() == "Healthy" ? (object)true : null, "n1 healthy", TimeSpan.FromSeconds(30));
            await client.SendAsync("after the outage\n"u8.ToArray()).Within();
            await Expect(page.Locator("#messages")).ToContainTextAsync("after the outage", new() { Timeout = 15_000 });

            // A node killed: its chip says so, and its socket of "tcp" is no longer listed.
            cluster.Nodes[2].Process.KillHard();
            await Expect(page.Locator("#nodes .node-chip[data-node=n3]")).ToHaveAttributeAsync("data-state", "lost", new() { Timeout = 25_000 });
            await Expect(page.Locator("#listeners [data-listener-id=tcp] .listener-nodes")).ToHaveTextAsync("n1 listening · n2 listening", new() { Timeout = 10_000 });
        }
        finally
        {
            await browser.DisposeAsync();
            playwright.Dispose();
        }
    }
}
