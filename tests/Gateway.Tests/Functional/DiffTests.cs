using System.Net;
using System.Text.Json;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Functional;

/// <summary>GET /api/diff over two real sessions: aligned by direction and order, the changed byte found.</summary>
public sealed class DiffTests
{
    [Fact]
    public async Task TwoSessions_OneChangedByte_IsTheOnlyRange()
    {
        await using var app = await GatewayApp.StartAsync();
        var ids = new List<long>();
        foreach (var command in new[] { "SET temp 21\n", "SET temp 27\n" })
        {
            using var client = await app.ConnectTcpAsync();
            await client.SendTextAsync(command);
            var session = await app.SessionOfAsync(client);
            await app.MessagesUntilAsync(session.Id, m => m.Length == 1, "the command");
            await app.Http.PostAsJsonAsync($"/api/sessions/{session.Id}/send", new { data = "OK\n", encoding = "utf8" }, GatewayApp.Json).Within();
            await client.ReceiveExactlyAsync(3);
            await app.MessagesUntilAsync(session.Id, m => m.Length == 2, "the reply");
            ids.Add(session.Id);
        }

        var response = await app.Http.GetAsync($"/api/diff?a={ids[0]}&b={ids[1]}").Within();
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        var diff = await response.Content.ReadFromJsonAsync<JsonElement>();
        var pairs = diff.GetProperty("pairs").EnumerateArray().ToArray();
        Assert.Equal(2, pairs.Length);
        Assert.Equal(("in", false), (pairs[0].GetProperty("direction").GetString(), pairs[0].GetProperty("equal").GetBoolean()));
        var range = Assert.Single(pairs[0].GetProperty("ranges").EnumerateArray());
        Assert.Equal((10, 1), (range.GetProperty("offset").GetInt32(), range.GetProperty("length").GetInt32())); // '1' → '7'
        Assert.Equal(("out", true), (pairs[1].GetProperty("direction").GetString(), pairs[1].GetProperty("equal").GetBoolean()));

        await ApiAssert.ProblemAsync(await app.Http.GetAsync($"/api/diff?a={ids[0]}").Within(), HttpStatusCode.BadRequest, "a=ID&b=ID");
        await ApiAssert.ProblemAsync(await app.Http.GetAsync($"/api/diff?a={ids[0]}&b=999999").Within(), HttpStatusCode.NotFound);

        // Two messages, one of each session, by seq: one pair, the same changed byte.
        var seqs = new List<long>();
        foreach (var id in ids)
        {
            seqs.Add((await app.MessagesAsync(id)).First(m => m.Direction == "in").Seq);
        }

        var one = await app.GetAsync<JsonElement>($"/api/diff/messages?a={seqs[0]}&b={seqs[1]}");
        var pair = Assert.Single(one.GetProperty("pairs").EnumerateArray());
        Assert.Equal((seqs[0], seqs[1], false), (pair.GetProperty("a").GetInt64(), pair.GetProperty("b").GetInt64(), pair.GetProperty("equal").GetBoolean()));
        var changed = Assert.Single(pair.GetProperty("ranges").EnumerateArray());
        Assert.Equal((10, 1), (changed.GetProperty("offset").GetInt32(), changed.GetProperty("length").GetInt32()));
        Assert.True(Assert.Single((await app.GetAsync<JsonElement>($"/api/diff/messages?a={seqs[0]}&b={seqs[0]}")).GetProperty("pairs").EnumerateArray()).GetProperty("equal").GetBoolean());
        await ApiAssert.ProblemAsync(await app.Http.GetAsync($"/api/diff/messages?a={seqs[0]}").Within(), HttpStatusCode.BadRequest, "a=SEQ&b=SEQ");
        await ApiAssert.ProblemAsync(await app.Http.GetAsync($"/api/diff/messages?a={seqs[0]}&b=99999999").Within(), HttpStatusCode.NotFound, "99999999");
    }
}
