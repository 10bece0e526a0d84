using System.Net;
using System.Text.Json;
using Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Gateway.Tests.Functional.Decoding;

/// <summary>curl through a relay to a real Kestrel server: requests and responses read as HTTP.</summary>
public sealed class HttpDecodingTests
{
    [Theory]
    [InlineData("/plain", "200 OK 11 B")]
    [InlineData("/chunked", "200 OK 13 B")]
    public async Task Curl_ThroughARelay_RequestAndResponseDecoded(string path, string responseSummary)
    {
        await using var app = await GatewayApp.StartAsync();
        var (web, port) = await StartServerAsync();
        await using var _ = web;
        var relay = await app.CreateListenerAsync(new { name = "web", protocol = "tcp", port = 0, upstream = $"127.0.0.1:{port}", decoder = "http" });

        var (code, body, error) = await Tool.RunAsync("curl", null, "-sS", "--noproxy", "*", "--max-time", "20", "--http1.1", $"http://127.0.0.1:{relay.Port}{path}");
        Assert.True(code == 0, error);
        Assert.StartsWith("hello", body);

        var session = await Timeouts.Eventually(async () =>
            (await app.GetAsync<WireSession[]>("/api/sessions?state=all")).SingleOrDefault(s => s.ListenerId == "web"), "the session");
        var messages = await app.MessagesUntilAsync(session.Id, m => m.Any(x => x.Direction == "in") && m.Any(x => x.Direction == "out"), "both ways");

        var request = await DecodedAsync(app, session.Id, messages.First(m => m.Direction == "in").Seq);
        Assert.Equal($"GET {path}", request.GetProperty("summary").GetString());
        var requestLine = request.GetProperty("fields")[0].GetProperty("children")[0];
        Assert.Equal("GET", requestLine.GetProperty("children")[0].GetProperty("display").GetString());

        // The server's bytes may come in more than one read: each is decoded on its own, and the first holds the status.
        var response = await DecodedAsync(app, session.Id, messages.First(m => m.Direction == "out").Seq);
        var summary = response.GetProperty("summary").GetString()!;
        var outs = messages.Where(m => m.Direction == "out").ToArray();
        if (outs.Length == 1)
        {
            Assert.Equal(responseSummary, summary);
        }
        else
        {
            // Cut where the read ended, and said so; the bytes together are the whole response.
            Assert.StartsWith("(not http: ", summary);
            Assert.Equal("200", response.GetProperty("fields")[0].GetProperty("children")[0].GetProperty("children")[1].GetProperty("display").GetString());
            Assert.True(Gateway.Decoding.Decoders.TryGet("http", out var http));
            Assert.Equal(responseSummary, Gateway.Decoding.Decoders.Decode(http, outs.SelectMany(m => m.Data).ToArray(), Gateway.Traffic.Direction.Out).Summary);
        }
    }

    private static async Task<JsonElement> DecodedAsync(GatewayApp app, long sessionId, long seq) =>
        await app.GetAsync<JsonElement>($"/api/sessions/{sessionId}/messages/{seq}/decoded");

    /// <summary>A plain HTTP/1.1 Kestrel server: /plain answers with Content-Length, /chunked without (so chunked).</summary>
    private static async Task<(WebApplication App, int Port)> StartServerAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration["AllowedHosts"] = "*";
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        app.MapGet("/plain", () => Results.Text("hello plain"));
        app.MapGet("/chunked", async (HttpContext context) =>
        {
            context.Response.ContentType = "text/plain";
            await context.Response.WriteAsync("hello ");
            await context.Response.WriteAsync("chunked");
        });
        await app.StartAsync().Within();
        return (app, app.BoundPort());
    }
}
