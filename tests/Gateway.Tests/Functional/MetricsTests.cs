using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Functional;

/// <summary><c>/metrics</c> in Prometheus text format, scraped as Prometheus would, with the counters moving under real traffic.</summary>
public sealed class MetricsTests
{
    [Fact]
    public async Task Metrics_Scraped_CountersMoveWithTraffic()
    {
        await using var app = await GatewayApp.StartAsync();
        var name = "m" + Guid.NewGuid().ToString("N")[..8]; // other apps in this process share the meter name; this listener is ours alone
        var listener = await app.CreateListenerAsync(new { name, protocol = "tcp", port = 0 });

        var before = await ScrapeAsync(app);
        Assert.Equal(0, Value(before, "gateway_sessions_opened_total", $"listener=\"{name}\""));

        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(IPAddress.Loopback, listener.Port).Within();
        await client.SendTextAsync("0123456789");
        var session = await app.SessionOfAsync(client);
        (await app.PostAsync($"/api/sessions/{session.Id}/send", new { data = "abcde" })).EnsureSuccessStatusCode();
        await client.ReceiveExactlyAsync(5);
        await app.MessagesUntilAsync(session.Id, m => m.Length == 2, "both messages captured");
        await using var hub = await app.ConnectHubAsync();

        var after = await Timeouts.Eventually(async () =>
        {
            var text = await ScrapeAsync(app);
            return Value(text, "gateway_listener_traffic_bytes_total", $"direction=\"out\",listener=\"{name}\"") == 5 ? text : null;
        }, "the out bytes to show");
        Assert.Equal(1, Value(after, "gateway_sessions_open", $"listener=\"{name}\""));
        Assert.Equal(1, Value(after, "gateway_sessions_opened_total", $"listener=\"{name}\""));
        Assert.Equal(10, Value(after, "gateway_listener_traffic_bytes_total", $"direction=\"in\",listener=\"{name}\""));
        Assert.True(Value(after, "gateway_traffic_bytes_total", "direction=\"in\"") >= 10);
        Assert.True(Value(after, "gateway_injected_bytes_total", "") >= Value(before, "gateway_injected_bytes_total", "") + 5);
        Assert.True(Value(after, "gateway_capture_payload_bytes_total", "state=\"captured\"") >= 15);
        Assert.True(Value(after, "gateway_hub_clients", "") >= 1);
        Assert.Contains("gateway_observer_dropped_total", after);
        Assert.Contains("gateway_capture_batch_bucket", after);
        Assert.Contains("# TYPE gateway_traffic_bytes_total counter", after);
    }

    [Fact]
    public async Task Metrics_WithKeys_NeedsAViewer()
    {
        await using var app = await GatewayApp.StartAsync(Keys.Settings(), Keys.Admin);
        using var http = app.CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("/metrics").Within()).StatusCode);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Keys.Viewer); // Prometheus' authorization.credentials
        Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(request).Within()).StatusCode);
    }

    private static async Task<string> ScrapeAsync(GatewayApp app)
    {
        var response = await app.Http.GetAsync("/metrics").Within();
        response.EnsureSuccessStatusCode();
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType);
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>The sum of the series of <paramref name="metric"/> whose labels contain <paramref name="labels"/> (0 when none).</summary>
    private static double Value(string text, string metric, string labels) =>
        Regex.Matches(text, $@"^{Regex.Escape(metric)}\{{([^}}]*)\}} (\S+)", RegexOptions.Multiline)
            .Where(m => m.Groups[1].Value.Contains(labels, StringComparison.Ordinal))
            .Sum(m => double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture));
}
