using System.Net;
using System.Text;
using Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Functional.Security;

/// <summary>
/// Over a thousand generated bad requests at every route of the API, and bad calls at every hub method:
/// each must get a 4xx (a hub error), never a 5xx, and the gateway must stay healthy and keep serving.
/// </summary>
public sealed class HostileInputTests
{
    private static readonly string[] BadIds = ["999999", "0", "-1", "9223372036854775807", "nosuch", "..%2F..%2Fetc%2Fpasswd", "%00", new string('7', 400)];

    private static readonly string[] BadBodies =
    [
        "", "{", "}", "null", "[]", "123", "\"text\"", "{\"data\":", "{}",
        """{"data":123}""", """{"data":true,"encoding":[]}""", """{"data":"zz","encoding":"hex"}""", """{"data":"0x","encoding":"hex"}""",
        """{"data":"!!!","encoding":"base64"}""", """{"data":"x","encoding":"rot13"}""", """{"data":"x","target":"sideways"}""",
        """{"port":"abc"}""", """{"port":1e400}""", """{"port":99999999999999999999}""", """{"port":-5,"host":"127.0.0.1"}""",
        """{"name":"bad name!","protocol":"tcp"}""", """{"name":"x","protocol":"sctp"}""", """{"name":"x","protocol":"can"}""",
        """{"name":"x","protocol":"unix","path":"../../../etc/passwd"}""", """{"name":"x","protocol":"unix","path":"/tmp/a/../../etc/x.sock"}""",
        """{"name":"x","protocol":"tcp","address":"999.1.1.1"}""", """{"name":"x","protocol":"tcp","framing":"xml"}""",
        """{"name":"x","protocol":"tcp","upstream":"nowhere"}""", """{"name":"x","protocol":"tcp","capture":"all"}""",
        """{"type":"latency","ms":-1}""", """{"type":"nuke"}""", """{"type":"latency","toxicity":7}""",
        """{"enabled":true,"direction":"up"}""", """{"enabled":true,"matchHex":"q"}""",
        """{"host":"127.0.0.1","port":0,"timing":"later"}""", """{"host":"127.0.0.1","port":0,"speed":-3}""",
        """{"protocol":"unix","path":"../x.sock"}""", """{"protocol":"bluetooth"}""", """{"protocol":"tcp","host":"","port":0}""",
        "{\"data\":\"" + new string('a', 100) + "\\uD800\"}", // a lone surrogate: not valid UTF-16/UTF-8
        string.Concat(Enumerable.Repeat("[", 200)) + string.Concat(Enumerable.Repeat("]", 200)),
    ];

    private static readonly string[] BadQueries =
    [
        "/api/messages?limit=abc", "/api/messages?limit=0", "/api/messages?limit=100000", "/api/messages?from=yesterday", "/api/messages?to=1e99",
        "/api/messages?sessionId=1e99", "/api/messages?hex=xyz", "/api/messages?direction=up", "/api/messages?order=random", "/api/messages?afterSeq=abc",
        "/api/sessions?state=bogus", "/api/sessions?limit=-1", "/api/sessions?limit=999999", "/api/sessions?afterId=x",
        "/api/sessions/999999", "/api/sessions/999999/messages", "/api/sessions/1/messages?limit=0", "/api/sessions/999999/capture.pcapng",
        "/api/sessions/999999/capture.json", "/api/captures.pcapng?from=never", "/api/listeners/nosuch", "/api/listeners/nosuch/intercept",
        "/api/listeners/nosuch/faults", "/api/audit?limit=0", "/api/audit?beforeId=x", "/api/sessions/abc",
    ];

    [Fact]
    public async Task ThousandsOfBadRequests_All4xx_No5xx_GatewayStaysHealthy()
    {
        await using var app = await GatewayApp.StartAsync(new Dictionary<string, string?> { ["Gateway:Limits:RequestBurst"] = "1000000" });
        var routes = app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? []).Select(m => (Method: m, Pattern: "/" + e.RoutePattern.RawText!.TrimStart('/'))))
            .Where(r => r.Method != "GET" && r.Pattern.StartsWith("/api/", StringComparison.Ordinal))
            .ToList();
        Assert.True(routes.Count >= 12, $"{routes.Count} state-changing routes");

        var requests = new List<(string Method, string Path, byte[]? Body)>();
        foreach (var (method, pattern) in routes)
        {
            foreach (var id in BadIds)
            {
                var path = System.Text.RegularExpressions.Regex.Replace(pattern, @"\{\w+(:long)?\}", id);
                foreach (var body in BadBodies)
                {
                    requests.Add((method, path, Encoding.UTF8.GetBytes(body)));
                }

                requests.Add((method, path, [0x7B, 0x22, 0x64, 0x22, 0x3A, 0x22, 0xFF, 0xFE, 0xC0, 0x22, 0x7D])); // {"d":"<invalid UTF-8>"}
            }

            requests.Add((method, System.Text.RegularExpressions.Regex.Replace(pattern, @"\{\w+(:long)?\}", "1"), new byte[5 * 1024 * 1024])); // over MaxRequestBodyBytes
        }

        requests.AddRange(BadQueries.Select(q => ("GET", q, (byte[]?)null)));
        Assert.True(requests.Count >= 1000, $"only {requests.Count} requests");

        var failures = new List<string>();
        var statuses = new Dictionary<int, int>();
        await Parallel.ForEachAsync(requests, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (r, _) =>
        {
            using var request = new HttpRequestMessage(new HttpMethod(r.Method), r.Path);
            if (r.Body is not null)
            {
                request.Content = new ByteArrayContent(r.Body);
                request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
                // Oversize: let the server refuse before the body is sent (it closes the connection after a 413).
                request.Headers.ExpectContinue = r.Body.Length > 1024 * 1024;
            }

            var response = await app.Http.SendAsync(request).Within(TimeSpan.FromSeconds(30));
            var status = (int)response.StatusCode;
            lock (statuses)
            {
                statuses[status] = statuses.GetValueOrDefault(status) + 1;
                if (status is < 400 or >= 500)
                {
                    var body = r.Body is null ? "" : Encoding.UTF8.GetString(r.Body.AsSpan(0, Math.Min(80, r.Body.Length)));
                    failures.Add($"{r.Method} {r.Path[..Math.Min(120, r.Path.Length)]} {body} → {status}");
                }
            }
        });

        Assert.True(failures.Count == 0, $"{failures.Count} of {requests.Count} not 4xx:\n" + string.Join("\n", failures.Take(30)));
        Assert.True(statuses.ContainsKey(413), "oversize bodies should get 413");
        Assert.Equal("Healthy", await app.Http.GetStringAsync("/healthz").Within());

        // Still serving sockets and the API after all that.
        using var client = await app.ConnectTcpAsync();
        await client.SendTextAsync("still fine");
        var session = await app.SessionOfAsync(client);
        await app.MessagesUntilAsync(session.Id, m => m.Length == 1, "a message after the barrage");
        Assert.Equal(["tcp", "udp"], (await app.GetListenersAsync()).Select(l => l.Name).Order());
    }

    [Fact]
    public async Task BadHubCalls_EachAHubError_ConnectionKeepsWorking()
    {
        await using var app = await GatewayApp.StartAsync();
        await using var hub = await app.ConnectHubAsync();
        string[] methods = ["Watch", "Unwatch", "Send", "SendToTarget", "Close", "Abort", "Broadcast", "ForwardHeld", "DropHeld", "NoSuchMethod", "OnConnectedAsync"];
        object?[][] argumentLists =
        [
            [], [null], [1], ["x"], [long.MaxValue], [-1L], [1.5], [true], [new { a = 1 }], [new[] { 1, 2 }],
            [1, 2], ["x", "y"], [1, "data", "rot13"], [1, "zz", "hex"], [1, "!!", "base64"], [1, "x", "utf8", "sideways"],
            [999999L, "x", "utf8"], ["tcp", 5, 6], [1, 2, 3, 4, 5, 6], ["session:abc"], ["listener:nosuch"], ["*", "extra"],
            [new string('x', 10_000)], ["session:999999"], [null, null, null],
        ];
        var calls = 0;
        var failures = new List<string>();
        foreach (var method in methods)
        {
            foreach (var arguments in argumentLists)
            {
                calls++;
                try
                {
                    await hub.InvokeCoreAsync(method, arguments).Within();
                    if (method is not ("Watch" or "Unwatch") || arguments is not [string])
                    {
                        failures.Add($"{method}({string.Join(", ", arguments)}) succeeded");
                    }
                }
                catch (HubException)
                {
                    // The expected answer: an error that says why.
                }
                catch (Exception ex)
                {
                    failures.Add($"{method}({string.Join(", ", arguments)}): {ex.GetType().Name} {ex.Message}");
                }
            }
        }

        Assert.True(calls >= 250, $"{calls} calls");
        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(30)));
        Assert.Equal(HubConnectionState.Connected, hub.State);
        await hub.InvokeAsync("Watch", "*").Within();
        Assert.Equal("Healthy", await app.Http.GetStringAsync("/healthz").Within());
    }

    [Fact]
    public async Task HubMessageOverTheLimit_ThatConnectionIsClosed_GatewayUnharmed()
    {
        await using var app = await GatewayApp.StartAsync(new Dictionary<string, string?> { ["Gateway:Limits:MaxHubMessageBytes"] = "65536" });
        await using var hub = await app.ConnectHubAsync();
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        hub.Closed += _ =>
        {
            closed.TrySetResult();
            return Task.CompletedTask;
        };
        await Assert.ThrowsAnyAsync<Exception>(() => hub.InvokeAsync<int>("Send", 1L, new string('x', 200_000), "utf8")).Within();
        await closed.Task.Within();

        await using var other = await app.ConnectHubAsync();
        await other.InvokeAsync("Watch", "*").Within();
        Assert.Equal("Healthy", await app.Http.GetStringAsync("/healthz").Within());
    }

    [Fact]
    public async Task UnixListenerOverARegularFile_Refused_FileUntouched()
    {
        await using var app = await GatewayApp.StartAsync();
        using var folder = new TempFolder();
        var precious = Path.Combine(folder.Path, "precious.txt");
        await File.WriteAllTextAsync(precious, "do not delete");
        await ApiAssert.ProblemAsync(await app.PostAsync("/api/listeners", new { name = "over", protocol = "unix", path = precious }), HttpStatusCode.Conflict);
        Assert.Equal("do not delete", await File.ReadAllTextAsync(precious));
    }
}
