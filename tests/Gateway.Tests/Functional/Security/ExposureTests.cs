using System.Net;
using System.Net.Http.Json;
using Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR.Client;

namespace Gateway.Tests.Functional.Security;

/// <summary>Who may reach the gateway at all: exposure without keys, hosts, origins, rate limits, the audit trail.</summary>
public sealed class ExposureTests
{
    [Theory]
    [InlineData("--urls", "http://0.0.0.0:0")]
    [InlineData("--urls", "http://*:0")]
    [InlineData("--http_ports", "0")]
    public async Task NonLoopbackHttpWithoutKeys_StartupFailsSayingHowToConfigureOne(string setting, string value)
    {
        using var gateway = GatewayProcess.Start(setting, value, "--Gateway:Listeners:0:Port=0", "--Gateway:Listeners:1:Port=0");
        Assert.Equal(1, await gateway.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        var line = Assert.Single(gateway.Lines, l => l.Trim().Length > 0);
        Assert.Contains("no API key is configured", line);
        Assert.Contains("Gateway:Auth:Keys:0:Key", line);
    }

    [Fact]
    public async Task NonLoopbackHttpWithAKey_Starts()
    {
        using var gateway = GatewayProcess.Start("--urls", "http://0.0.0.0:0", "--Gateway:Listeners:0:Port=0", "--Gateway:Listeners:1:Port=0",
            "--Gateway:Auth:Keys:0:Name=ops", "--Gateway:Auth:Keys:0:Role=admin", $"--Gateway:Auth:Keys:0:Key={Keys.Admin}");
        await gateway.WaitForLineAsync("Application started", TimeSpan.FromSeconds(30));
    }

    [Theory]
    [InlineData("--Gateway:Auth:Keys:0:Key=short", "shorter than 16")]
    [InlineData("--Gateway:Auth:Keys:0:KeySha256=abc", "64 hex digits")]
    public async Task BadKeyConfiguration_StartupFailsNamingTheKey(string setting, string expected)
    {
        using var gateway = GatewayProcess.Start("--urls", "http://127.0.0.1:0", "--Gateway:Listeners:0:Port=0", "--Gateway:Listeners:1:Port=0",
            "--Gateway:Auth:Keys:0:Name=ops", "--Gateway:Auth:Keys:0:Role=admin", setting);
        Assert.Equal(1, await gateway.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains(gateway.Lines, l => l.Contains("Gateway:Auth:Keys:0") && l.Contains(expected));
    }

    [Fact]
    public async Task KeySha256_IsAcceptedLikeTheKey()
    {
        var hash = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData("a-long-enough-secret-key"u8)).ToLowerInvariant();
        await using var app = await GatewayApp.StartAsync(new Dictionary<string, string?>
        {
            ["Gateway:Auth:Keys:0:Name"] = "hashed",
            ["Gateway:Auth:Keys:0:Role"] = "viewer",
            ["Gateway:Auth:Keys:0:KeySha256"] = hash,
        }, "a-long-enough-secret-key");
        Assert.Contains("\"name\":\"hashed\"", await app.Http.GetStringAsync("/api/me").Within());
    }

    [Fact]
    public async Task HostHeader_OnlyLoopbackNamesByDefault_DnsRebindingRefused()
    {
        await using var app = await GatewayApp.StartAsync();
        var port = app.BaseAddress.Port;
        foreach (var host in new[] { $"127.0.0.1:{port}", $"localhost:{port}", $"[::1]:{port}" })
        {
            Assert.Equal(HttpStatusCode.OK, (await GetWithHostAsync(app, host)).StatusCode);
        }

        Assert.Equal(HttpStatusCode.BadRequest, (await GetWithHostAsync(app, $"attacker.example:{port}")).StatusCode);
    }

    [Fact]
    public async Task Cors_ClosedByDefault_OpenForListedOrigins_HubHandshakeCheckedToo()
    {
        await using (var closed = await GatewayApp.StartAsync())
        {
            var preflight = await PreflightAsync(closed, "https://tools.example.com");
            Assert.False(preflight.Headers.Contains("Access-Control-Allow-Origin"));
            Assert.Equal(HttpStatusCode.Forbidden, (await NegotiateAsync(closed, "https://evil.example")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await NegotiateAsync(closed, closed.BaseAddress.GetLeftPart(UriPartial.Authority))).StatusCode); // the dashboard itself
            Assert.Equal(HttpStatusCode.OK, (await NegotiateAsync(closed, null)).StatusCode); // not a browser
        }

        await using var open = await GatewayApp.StartAsync(new Dictionary<string, string?> { ["Gateway:Cors:Origins:0"] = "https://tools.example.com" });
        var allowed = await PreflightAsync(open, "https://tools.example.com");
        Assert.Equal("https://tools.example.com", allowed.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.False((await PreflightAsync(open, "https://evil.example")).Headers.Contains("Access-Control-Allow-Origin"));
        Assert.Equal(HttpStatusCode.OK, (await NegotiateAsync(open, "https://tools.example.com")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await NegotiateAsync(open, "https://evil.example")).StatusCode);
    }

    [Fact]
    public async Task RateLimit_StateChangingCallsPerKey_429WithRetryAfter_ReadsUnaffected()
    {
        await using var app = await GatewayApp.StartAsync(Keys.Settings(new Dictionary<string, string?>
        {
            ["Gateway:Limits:RequestsPerSecond"] = "1",
            ["Gateway:Limits:RequestBurst"] = "3",
        }), Keys.Operator);
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 5; i++)
        {
            statuses.Add((await app.PostAsync("/api/sessions/999999/send", new { data = "x" })).StatusCode);
        }

        Assert.Equal([HttpStatusCode.NotFound, HttpStatusCode.NotFound, HttpStatusCode.NotFound, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests], statuses);
        var limited = await app.PostAsync("/api/sessions/999999/send", new { data = "x" });
        Assert.True(limited.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1), "Retry-After");
        await ApiAssert.ProblemAsync(limited, HttpStatusCode.TooManyRequests);
        Assert.Equal(HttpStatusCode.OK, (await app.Http.GetAsync("/api/stats").Within()).StatusCode);

        // Another key has its own bucket.
        using var other = app.CreateClient();
        other.DefaultRequestHeaders.Add("X-Api-Key", Keys.Admin);
        Assert.Equal(HttpStatusCode.NotFound, (await other.PostAsJsonAsync("/api/sessions/999999/send", new { data = "x" }).Within()).StatusCode);
    }

    [Fact]
    public async Task Audit_RecordsWhoDidWhat_AdminOnly()
    {
        await using var app = await GatewayApp.StartAsync(Keys.Settings(), Keys.Admin);
        using var client = await app.ConnectTcpAsync();
        var session = await app.SessionOfAsync(client);
        (await app.PostAsync($"/api/sessions/{session.Id}/send", new { data = "hello" })).EnsureSuccessStatusCode();
        (await app.PostAsync("/api/listeners", new { name = "extra", protocol = "tcp", port = 0 })).EnsureSuccessStatusCode();
        await using (var hub = await app.ConnectHubAsync())
        {
            await hub.InvokeAsync("Close", session.Id).Within();
        }

        var audit = await app.GetAsync<WireAudit[]>("/api/audit");
        Assert.Equal(["close", "listener.create", "send"], audit.Select(a => a.Action)); // newest first
        var send = Assert.Single(audit, a => a.Action == "send");
        Assert.Equal(("admin-key", "admin", $"session {session.Id}", 5L, "127.0.0.1"), (send.Key, send.Role, send.Target, send.Bytes!.Value, send.RemoteIp));
        Assert.StartsWith("hub client", Assert.Single(audit, a => a.Action == "close").Via);
        Assert.Equal("listener extra", Assert.Single(audit, a => a.Action == "listener.create").Target);

        using var viewer = app.CreateClient();
        viewer.DefaultRequestHeaders.Add("X-Api-Key", Keys.Viewer);
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.GetAsync("/api/audit").Within()).StatusCode);
    }

    private static async Task<HttpResponseMessage> GetWithHostAsync(GatewayApp app, string host)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/healthz");
        request.Headers.Host = host;
        return await app.Http.SendAsync(request).Within();
    }

    private static async Task<HttpResponseMessage> PreflightAsync(GatewayApp app, string origin)
    {
        using var request = new HttpRequestMessage(HttpMethod.Options, "/api/sessions/1/send");
        request.Headers.Add("Origin", origin);
        request.Headers.Add("Access-Control-Request-Method", "POST");
        request.Headers.Add("Access-Control-Request-Headers", "content-type,x-api-key");
        return await app.Http.SendAsync(request).Within();
    }

    private static async Task<HttpResponseMessage> NegotiateAsync(GatewayApp app, string? origin)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/hubs/traffic/negotiate?negotiateVersion=1");
        if (origin is not null)
        {
            request.Headers.Add("Origin", origin);
        }

        return await app.Http.SendAsync(request).Within();
    }

    private sealed record WireAudit(long Id, DateTimeOffset At, string Key, string Role, string Via, string? RemoteIp, string Action, string Target, long? Bytes, string? Detail);
}
