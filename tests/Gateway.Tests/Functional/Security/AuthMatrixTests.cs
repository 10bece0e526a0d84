using System.Net;
using System.Reflection;
using System.Text;
using Gateway.Hubs;
using Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Functional.Security;

/// <summary>
/// Every route and hub method by role, generated from the app's own endpoint metadata and the hub's
/// methods, so a new route or method cannot be forgotten: it must be classified below or this fails.
/// </summary>
public sealed class AuthMatrixTests : IAsyncLifetime
{
    /// <summary>The role each state-changing route needs. Reads need a viewer, except those listed here.</summary>
    private static readonly Dictionary<string, string> Expected = new()
    {
        ["POST /api/sessions/{id:long}/send"] = "operator",
        ["DELETE /api/sessions/{id:long}"] = "operator",
        ["POST /api/sessions/{id:long}/replay"] = "admin",
        ["POST /api/listeners/{id}/sendto"] = "operator",
        ["POST /api/listeners/{id}/broadcast"] = "operator",
        ["POST /api/held/{id:long}/forward"] = "operator",
        ["POST /api/held/{id:long}/drop"] = "operator",
        ["POST /api/listeners/"] = "admin",
        ["DELETE /api/listeners/{id}"] = "admin",
        ["PUT /api/listeners/{id}/intercept"] = "admin",
        ["POST /api/listeners/{id}/faults/"] = "admin",
        ["DELETE /api/listeners/{id}/faults/{faultId}"] = "admin",
        ["POST /api/connections"] = "admin",
        ["POST /api/listeners/{id}/rules/"] = "operator",
        ["PUT /api/listeners/{id}/rules/"] = "operator",
        ["DELETE /api/listeners/{id}/rules/{ruleId}"] = "operator",
        ["PUT /api/sessions/{id:long}/decoder"] = "operator",
        ["PUT /api/listeners/{id}/layout"] = "operator",
        ["DELETE /api/listeners/{id}/layout"] = "operator",
        ["PUT /api/listeners/{id}/decoder"] = "operator",
        ["PUT /api/sessions/{id:long}/annotations"] = "operator",
        ["PUT /api/sessions/{id:long}/messages/{seq:long}/annotations"] = "operator",
        ["GET /api/audit"] = "admin",
    };

    /// <summary>Routes anyone may call: health, and the API description.</summary>
    private static readonly string[] Anonymous = ["/healthz", "/swagger"];

    private static readonly string[] Ranks = ["viewer", "operator", "admin"];

    private GatewayApp _app = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _app = await GatewayApp.StartAsync(Keys.Settings(new Dictionary<string, string?> { ["Gateway:Limits:RequestBurst"] = "100000" }), Keys.Admin);
        _http = _app.CreateClient();
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _app.DisposeAsync();
    }

    [Fact]
    public async Task EveryRoute_ByRole_401Without_403Below_AllowedAtOrAbove()
    {
        var routes = Routes();
        Assert.True(routes.Count >= 25, $"only {routes.Count} routes found");
        var failures = new List<string>();
        foreach (var (method, pattern, declared) in routes)
        {
            var name = $"{method} {pattern}";
            var expected = Expected.GetValueOrDefault(name) ?? (method == "GET" ? "viewer" : null);
            if (expected is null)
            {
                failures.Add($"{name}: a state-changing route nobody classified: add it to Expected with its role");
                continue;
            }

            if (declared != expected)
            {
                failures.Add($"{name}: declares {declared ?? "no role"}, expected {expected}");
            }

            var path = Fill(pattern);
            await Check(failures, name, await SendAsync(method, path, null), HttpStatusCode.Unauthorized, "no key");
            await Check(failures, name, await SendAsync(method, path, "wrong-key-0123456789abc"), HttpStatusCode.Unauthorized, "a wrong key");
            foreach (var (role, key) in Keys.ByRole)
            {
                var response = await SendAsync(method, path, key);
                if (Array.IndexOf(Ranks, role) < Array.IndexOf(Ranks, expected))
                {
                    await Check(failures, name, response, HttpStatusCode.Forbidden, role);
                }
                else if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden || (int)response.StatusCode >= 500)
                {
                    failures.Add($"{name} as {role}: {(int)response.StatusCode}, expected it to be allowed");
                }
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public async Task Anonymous_HealthzRevealsNothing_DashboardLoads()
    {
        var health = await _http.GetAsync("/healthz").Within();
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal("Healthy", await health.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, (await _http.GetAsync("/").Within()).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await _http.GetAsync("/api/stats").Within()).StatusCode);
    }

    [Fact]
    public async Task Me_TellsNameRoleAndWhetherOpen()
    {
        foreach (var (role, key) in Keys.ByRole)
        {
            var me = await SendAsync("GET", "/api/me", key);
            var body = await me.Content.ReadAsStringAsync();
            Assert.Contains($"\"name\":\"{role}-key\"", body);
            Assert.Contains($"\"role\":\"{role}\"", body);
            Assert.Contains("\"open\":false", body);
        }

        var bearer = new HttpRequestMessage(HttpMethod.Get, "/api/me");
        bearer.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Keys.Viewer);
        Assert.Equal(HttpStatusCode.OK, (await _http.SendAsync(bearer).Within()).StatusCode);
    }

    [Fact]
    public async Task Hub_NoKeyRefused_ViewerWatchesButEveryOperatorMethodFails_OperatorAllowed()
    {
        var anonymous = new HubConnectionBuilder().WithUrl(new Uri(_app.BaseAddress, "/hubs/traffic")).Build();
        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => anonymous.StartAsync()).Within();
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);

        var methods = typeof(TrafficHub).GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly)
            .Where(m => !m.IsSpecialName && m.Name is not ("OnConnectedAsync" or "OnDisconnectedAsync"))
            .ToList();
        Assert.Contains(methods, m => m.Name == "Watch");
        var operatorOnly = methods.Where(m => m.GetCustomAttribute<AuthorizeAttribute>()?.Policy == "operator").ToList();
        Assert.Equal(["Abort", "Broadcast", "Close", "DropHeld", "ForwardHeld", "Send", "SendToTarget", "SetDecoder"], operatorOnly.Select(m => m.Name).Order());
        Assert.Equal(["Decode", "Unwatch", "Watch"], methods.Except(operatorOnly).Select(m => m.Name).Order()); // a viewer's methods: nothing else

        await using var viewer = await ConnectAsync(Keys.Viewer);
        await viewer.InvokeAsync("Watch", "*").Within();
        foreach (var method in operatorOnly)
        {
            var error = await Assert.ThrowsAsync<HubException>(() => viewer.InvokeCoreAsync(method.Name, Arguments(method))).Within();
            Assert.Contains("unauthorized", error.Message, StringComparison.OrdinalIgnoreCase);
        }

        await using var @operator = await ConnectAsync(Keys.Operator);
        foreach (var method in operatorOnly)
        {
            // Allowed: what fails now is the made-up session or listener, not the role.
            var error = await Assert.ThrowsAsync<HubException>(() => @operator.InvokeCoreAsync(method.Name, Arguments(method))).Within();
            Assert.DoesNotContain("unauthorized", error.Message, StringComparison.OrdinalIgnoreCase);
        }
    }

    private async Task<HubConnection> ConnectAsync(string key)
    {
        var hub = new HubConnectionBuilder()
            .WithUrl(new Uri(_app.BaseAddress, "/hubs/traffic"), o => o.AccessTokenProvider = () => Task.FromResult<string?>(key))
            .Build();
        await hub.StartAsync().Within();
        return hub;
    }

    private static object?[] Arguments(MethodInfo method) => method.GetParameters()
        .Select(p => p.ParameterType == typeof(long) ? 999_999L : (object?)(p.Name == "encoding" ? "utf8" : "x"))
        .ToArray();

    /// <summary>(method, route pattern, strictest role its metadata requires) for every route but the anonymous ones.</summary>
    private List<(string Method, string Pattern, string? Role)> Routes()
    {
        var routes = new List<(string, string, string?)>();
        foreach (var endpoint in _app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>())
        {
            var pattern = "/" + endpoint.RoutePattern.RawText!.TrimStart('/');
            if (Anonymous.Any(a => pattern.StartsWith(a, StringComparison.Ordinal)) || pattern.StartsWith("/hubs/", StringComparison.Ordinal))
            {
                continue;
            }

            var policies = endpoint.Metadata.GetOrderedMetadata<IAuthorizeData>().Select(a => a.Policy).ToList();
            var role = Ranks.LastOrDefault(policies.Contains);
            foreach (var method in endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"])
            {
                routes.Add((method, pattern, role));
            }
        }

        return routes;
    }

    private static string Fill(string pattern) => System.Text.RegularExpressions.Regex.Replace(
        pattern, @"\{(\w+)(:long)?\}", m => m.Groups[2].Success ? "999999" : "nosuch");

    private async Task<HttpResponseMessage> SendAsync(string method, string path, string? key)
    {
        var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (method is "POST" or "PUT")
        {
            request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
        }

        if (key is not null)
        {
            request.Headers.Add("X-Api-Key", key);
        }

        return await _http.SendAsync(request).Within();
    }

    private static async Task Check(List<string> failures, string name, HttpResponseMessage response, HttpStatusCode expected, string who)
    {
        if (response.StatusCode != expected)
        {
            failures.Add($"{name} with {who}: {(int)response.StatusCode}, expected {(int)expected}");
            return;
        }

        if (response.Content.Headers.ContentType?.MediaType != "application/problem+json")
        {
            failures.Add($"{name} with {who}: {(int)response.StatusCode} without problem+json: {await response.Content.ReadAsStringAsync()}");
        }
    }
}
