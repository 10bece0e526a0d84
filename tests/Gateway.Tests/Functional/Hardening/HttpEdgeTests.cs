using System.Net;
using System.Text;
using Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;

namespace Gateway.Tests.Functional.Hardening;

/// <summary>The HTTP edge: cross-site writes, one rate limit for REST and hub, errors logged as what they are.</summary>
public sealed class HttpEdgeTests
{
    [Fact]
    public async Task CrossSiteStateChangingRequests_403_OnAnOpenGateway_SameOriginAndScriptsPass()
    {
        await using var app = await GatewayApp.StartAsync(new Dictionary<string, string?> { ["Gateway:Cors:Origins:0"] = "https://tools.example.com" });
        using var client = await app.ConnectTcpAsync();
        var session = await app.SessionOfAsync(client);
        var own = app.BaseAddress.GetLeftPart(UriPartial.Authority);

        async Task<HttpStatusCode> SendAsync(HttpMethod method, string path, params (string Name, string Value)[] headers)
        {
            using var request = new HttpRequestMessage(method, path) { Content = method == HttpMethod.Delete ? null : new StringContent("", Encoding.UTF8, "application/x-www-form-urlencoded") };
            foreach (var (name, value) in headers)
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }

            var response = await app.Http.SendAsync(request).Within();
            if (response.StatusCode == HttpStatusCode.Forbidden)
            {
                await ApiAssert.ProblemAsync(response, HttpStatusCode.Forbidden);
            }

            return response.StatusCode;
        }

        // A form POST from another site, as a page would make it: no body needed to forward or drop.
        Assert.Equal(HttpStatusCode.Forbidden, await SendAsync(HttpMethod.Post, "/api/held/1/forward", ("Origin", "https://evil.example")));
        Assert.Equal(HttpStatusCode.Forbidden, await SendAsync(HttpMethod.Post, "/api/held/1/drop", ("Sec-Fetch-Site", "cross-site")));
        Assert.Equal(HttpStatusCode.Forbidden, await SendAsync(HttpMethod.Post, "/api/held/1/drop", ("Origin", "null")));
        Assert.Equal(HttpStatusCode.Forbidden, await SendAsync(HttpMethod.Delete, $"/api/sessions/{session.Id}", ("Origin", "https://evil.example")));
        Assert.Equal(HttpStatusCode.Forbidden, await SendAsync(HttpMethod.Post, "/api/held/1/drop", ("Origin", own), ("Origin", "https://evil.example")));
        Assert.Equal("open", (await app.SessionOfAsync(client)).State);

        // Its own origin, a listed one, and clients that are not browsers get through (404: no such held message).
        Assert.Equal(HttpStatusCode.NotFound, await SendAsync(HttpMethod.Post, "/api/held/1/drop", ("Origin", own), ("Sec-Fetch-Site", "same-origin")));
        Assert.Equal(HttpStatusCode.NotFound, await SendAsync(HttpMethod.Post, "/api/held/1/drop", ("Origin", "https://tools.example.com")));
        Assert.Equal(HttpStatusCode.NotFound, await SendAsync(HttpMethod.Post, "/api/held/1/drop"));
        // Reads are not state-changing.
        using var read = new HttpRequestMessage(HttpMethod.Get, "/api/stats");
        read.Headers.Add("Origin", "https://evil.example");
        Assert.Equal(HttpStatusCode.OK, (await app.Http.SendAsync(read).Within()).StatusCode);
    }

    [Fact]
    public async Task HubWrites_ShareTheKeysRestBucket_HubErrorWhenRefused()
    {
        await using var app = await GatewayApp.StartAsync(Keys.Settings(new Dictionary<string, string?>
        {
            ["Gateway:Limits:RequestsPerSecond"] = "1",
            ["Gateway:Limits:RequestBurst"] = "3",
        }), Keys.Operator);
        await using var hub = await app.ConnectHubAsync();
        for (var i = 0; i < 3; i++)
        {
            var notFound = await Assert.ThrowsAsync<HubException>(() => hub.InvokeAsync<int>("Send", 999999L, "x", "utf8").Within());
            Assert.Contains("does not exist", notFound.Message);
        }

        var limited = await Assert.ThrowsAsync<HubException>(() => hub.InvokeAsync<int>("Send", 999999L, "x", "utf8").Within());
        Assert.Contains("too many", limited.Message);
        // Reading and watching are not limited.
        await hub.InvokeAsync("Watch", "*").Within();
        // The same bucket for REST.
        await ApiAssert.ProblemAsync(await app.PostAsync("/api/sessions/999999/send", new { data = "x" }), HttpStatusCode.TooManyRequests);
    }

    [Fact]
    public async Task ExpectedClientErrors_LoggedWithTheirStatusWithoutTrace_AbsurdNumbers400NamingTheField()
    {
        using var gateway = GatewayProcess.Start(GatewayProcess.FreePorts);
        var url = (await gateway.WaitForLineAsync(@"Now listening on: (http://127\.0\.0\.1:\d+)", TimeSpan.FromSeconds(30))).Groups[1].Value;
        using var http = new HttpClient { BaseAddress = new Uri(url) };

        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/api/sessions/999999").Within()).StatusCode);
        var badJson = await http.PostAsync("/api/connections", new StringContent("{\"host\":", Encoding.UTF8, "application/json")).Within();
        await ApiAssert.ProblemAsync(badJson, HttpStatusCode.BadRequest);
        await ApiAssert.ProblemAsync(await http.PostAsJsonAsync("/api/connections", new { host = "127.0.0.1", port = 9, timeoutSeconds = 1e308 }).Within(),
            HttpStatusCode.BadRequest, "timeoutSeconds");
        await ApiAssert.ProblemAsync(await http.PostAsJsonAsync("/api/listeners", new { name = "idle", protocol = "tcp", port = 0, idleTimeoutSeconds = 1e308 }).Within(),
            HttpStatusCode.BadRequest, "idleTimeoutSeconds");
        // A marker request: once its line is out, every line before it is too.
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/api/listeners/marker-request").Within()).StatusCode);
        await gateway.WaitForLineAsync("marker-request responded 404");

        var lines = gateway.Lines;
        Assert.Contains(lines, l => l.Contains("/api/sessions/999999 responded 404"));
        Assert.Equal(3, lines.Count(l => l.Contains("/api/connections responded 400") || l.Contains("/api/listeners responded 400")));
        Assert.DoesNotContain(lines, l => l.Contains("responded 500"));
        Assert.DoesNotContain(lines, l => l.TrimStart().StartsWith("at ", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains("[ERR]"));
    }
}
