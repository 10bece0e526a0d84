using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR.Client;

namespace Gateway.Tests.Functional;

/// <summary>Stars, tags and notes on sessions and messages: kept, filtered, exported, and still there after a restart.</summary>
public sealed class AnnotationTests
{
    [Fact]
    public async Task SessionAndMessageMarks_FilterAndSearch_TravelInExports_AndSurviveARestart()
    {
        using var folder = new TempFolder();
        var database = new Dictionary<string, string?> { ["ConnectionStrings:Capture"] = GatewayApp.CaptureDatabase(folder) };
        long sessionId;
        long seq;
        await using (var app = await GatewayApp.StartAsync(database))
        {
            using var client = await app.ConnectTcpAsync();
            await client.SendTextAsync("login admin\n");
            var session = await app.SessionOfAsync(client);
            sessionId = session.Id;
            seq = (await app.MessagesUntilAsync(sessionId, m => m.Length == 1, "the message"))[0].Seq;

            // A live session: marked, then found by its tag and by text.
            var marked = await app.Http.PutAsJsonAsync($"/api/sessions/{sessionId}/annotations", new { starred = true, tags = new[] { "suspicious", "lab-7" }, note = "logged in as admin" }, GatewayApp.Json).Within();
            marked.EnsureSuccessStatusCode();
            var shown = (await app.GetAsync<JsonElement>($"/api/sessions/{sessionId}")).GetProperty("annotations");
            Assert.True(shown.GetProperty("starred").GetBoolean());
            Assert.Equal(["suspicious", "lab-7"], shown.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
            Assert.Equal(sessionId, Assert.Single(await app.GetAsync<JsonElement[]>("/api/sessions?tag=lab-7")).GetProperty("id").GetInt64());
            Assert.Empty(await app.GetAsync<JsonElement[]>("/api/sessions?tag=lab"));
            Assert.Single(await app.GetAsync<JsonElement[]>("/api/sessions?q=SUSPICIOUS"));

            (await app.Http.PutAsJsonAsync($"/api/sessions/{sessionId}/messages/{seq}/annotations", new { tags = new[] { "credentials" }, note = "password follows" }, GatewayApp.Json).Within())
                .EnsureSuccessStatusCode();
            var message = Assert.Single(await app.GetAsync<JsonElement[]>("/api/messages?tag=credentials"));
            Assert.Equal(seq, message.GetProperty("seq").GetInt64());
            Assert.Equal("password follows", message.GetProperty("annotations").GetProperty("note").GetString());
        }

        // After a restart, from the store: the marks are there, in capture.json and as pcapng comments.
        await using (var app = await GatewayApp.StartAsync(database))
        {
            var session = await app.GetAsync<JsonElement>($"/api/sessions/{sessionId}");
            Assert.Equal("logged in as admin", session.GetProperty("annotations").GetProperty("note").GetString());
            Assert.Equal(sessionId, Assert.Single(await app.GetAsync<JsonElement[]>("/api/sessions?tag=suspicious&state=closed")).GetProperty("id").GetInt64());

            var json = await app.GetAsync<JsonElement>($"/api/sessions/{sessionId}/capture.json");
            Assert.Contains("\"credentials\"", json.GetRawText());
            Assert.Contains("\"suspicious\"", json.GetRawText());

            var file = Path.Combine(folder.Path, "s.pcapng");
            await File.WriteAllBytesAsync(file, await app.Http.GetByteArrayAsync($"/api/sessions/{sessionId}/capture.pcapng").Within());
            var (code, comments, error) = await Tool.RunAsync("tshark", null, "-r", file, "-T", "fields", "-e", "frame.comment");
            Assert.True(code == 0, error);
            Assert.Contains("starred; marked: suspicious, lab-7; note: logged in as admin", comments);
            Assert.Contains($"message {seq}: marked: credentials; note: password follows", comments);

            // An empty set removes them.
            (await app.Http.PutAsJsonAsync($"/api/sessions/{sessionId}/annotations", new { }, GatewayApp.Json).Within()).EnsureSuccessStatusCode();
            Assert.Equal(JsonValueKind.Null, (await app.GetAsync<JsonElement>($"/api/sessions/{sessionId}")).GetProperty("annotations").ValueKind);
        }
    }

    [Fact]
    public async Task MarkingASession_ReachesHubClients_AsSessionUpdated()
    {
        await using var app = await GatewayApp.StartAsync();
        using var client = await app.ConnectTcpAsync();
        await client.SendTextAsync("x");
        var session = await app.SessionOfAsync(client);
        await using var hub = await app.ConnectHubAsync();
        var updates = System.Threading.Channels.Channel.CreateUnbounded<JsonElement>();
        hub.On<JsonElement>("sessionUpdated", s => updates.Writer.TryWrite(s));

        (await app.Http.PutAsJsonAsync($"/api/sessions/{session.Id}/annotations", new { starred = true, tags = new[] { "watch-me" } }, GatewayApp.Json).Within()).EnsureSuccessStatusCode();
        var update = await updates.Reader.ReadAsync().AsTask().Within();
        Assert.Equal(session.Id, update.GetProperty("id").GetInt64());
        Assert.Equal("watch-me", update.GetProperty("annotations").GetProperty("tags")[0].GetString());
        Assert.Equal("open", update.GetProperty("state").GetString());
    }

    [Fact]
    public async Task BadMarks_AreProblems()
    {
        await using var app = await GatewayApp.StartAsync();
        using var client = await app.ConnectTcpAsync();
        await client.SendTextAsync("x");
        var session = await app.SessionOfAsync(client);

        await ApiAssert.ProblemAsync(await app.Http.PutAsJsonAsync($"/api/sessions/{session.Id}/annotations", new { tags = new[] { "has space" } }, GatewayApp.Json).Within(), HttpStatusCode.BadRequest, "has space");
        await ApiAssert.ProblemAsync(await app.Http.PutAsJsonAsync($"/api/sessions/{session.Id}/annotations", new { note = new string('n', 5000) }, GatewayApp.Json).Within(), HttpStatusCode.BadRequest, "4000");
        await ApiAssert.ProblemAsync(await app.Http.PutAsJsonAsync($"/api/sessions/{session.Id}/annotations", new { tags = Enumerable.Range(0, 40).Select(i => $"t{i}") }, GatewayApp.Json).Within(), HttpStatusCode.BadRequest, "32");
        await ApiAssert.ProblemAsync(await app.Http.PutAsJsonAsync("/api/sessions/999999/annotations", new { starred = true }, GatewayApp.Json).Within(), HttpStatusCode.NotFound);
        await ApiAssert.ProblemAsync(await app.Http.PutAsJsonAsync($"/api/sessions/{session.Id}/messages/999999/annotations", new { starred = true }, GatewayApp.Json).Within(), HttpStatusCode.NotFound, "999999");
    }
}
