using System.Net.Sockets;
using System.Threading.Channels;
using Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR.Client;

namespace Gateway.Tests.Functional;

/// <summary>Many clients and chunked streams: every byte recorded, in order, nothing lost.</summary>
public sealed class LoadTests
{
    [Fact]
    public async Task HundredConcurrentClients_EveryMessageRecordedAndWatched()
    {
        await using var app = await GatewayApp.StartAsync();
        await using var hub = await app.ConnectHubAsync();
        var watched = new System.Collections.Concurrent.ConcurrentDictionary<long, long>();
        hub.On<WireMessage[]>("traffic", batch =>
        {
            foreach (var m in batch)
            {
                watched.AddOrUpdate(m.SessionId, m.Size, (_, total) => total + m.Size);
            }
        });
        await hub.InvokeAsync("Watch", "*").Within();
        const int clients = 100;
        const int messagesEach = 20;

        var sockets = await Task.WhenAll(Enumerable.Range(0, clients).Select(_ => app.ConnectTcpAsync()));
        try
        {
            await Task.WhenAll(sockets.Select(async (socket, index) =>
            {
                for (var i = 0; i < messagesEach; i++)
                {
                    await socket.SendTextAsync($"client {index:D3} message {i:D2}\n");
                }
            })).Within();

            var expectedBytes = messagesEach * "client 000 message 00\n".Length;
            foreach (var socket in sockets)
            {
                var session = await Timeouts.Eventually(async () =>
                {
                    var s = await app.SessionOfAsync(socket);
                    return s.BytesIn == expectedBytes ? s : null;
                }, $"all bytes of {socket.LocalEndPoint}");
                var stream = (await app.MessagesAsync(session.Id)).SelectMany(m => m.Data).ToArray();
                var index = int.Parse(System.Text.Encoding.UTF8.GetString(stream, 7, 3));
                var expected = string.Concat(Enumerable.Range(0, messagesEach).Select(i => $"client {index:D3} message {i:D2}\n"));
                Assert.Equal(expected, System.Text.Encoding.UTF8.GetString(stream));
                await Timeouts.Eventually(() => Task.FromResult(
                    watched.GetValueOrDefault(session.Id) == expectedBytes ? "" : null), $"hub traffic of session {session.Id}");
            }

            var stats = await app.GetAsync<WireStats>("/api/stats");
            Assert.Equal(0, stats.Dropped);
        }
        finally
        {
            Array.ForEach(sockets, s => s.Dispose());
        }
    }

    [Fact]
    public async Task SixtyFourKiBInRandomChunks_RecordedWholeAndInOrder()
    {
        await using var app = await GatewayApp.StartAsync();
        await using var hub = await app.ConnectHubAsync();
        var previews = Channel.CreateUnbounded<WireMessage>();
        hub.On<WireMessage[]>("traffic", batch => Array.ForEach(batch, m => previews.Writer.TryWrite(m)));
        using var client = await app.ConnectTcpAsync();
        var session = await app.SessionOfAsync(client);
        await hub.InvokeAsync("Watch", $"session:{session.Id}").Within();
        var random = new Random(1234);
        var payload = new byte[64 * 1024];
        random.NextBytes(payload);

        for (var offset = 0; offset < payload.Length;)
        {
            var size = Math.Min(random.Next(1, 9000), payload.Length - offset);
            await client.SendAllAsync(payload[offset..(offset + size)]);
            offset += size;
            if (random.Next(4) == 0)
            {
                await Task.Delay(1);
            }
        }

        var recorded = await Timeouts.Eventually(async () =>
        {
            var m = await app.MessagesAsync(session.Id);
            return m.Sum(x => x.Size) == payload.Length ? m : null;
        }, "64 KiB recorded");
        Assert.Equal(payload.Length, recorded.Sum(m => m.Size));
        Assert.Equal(payload, recorded.SelectMany(m => m.Data).ToArray());
        Assert.True(recorded.Zip(recorded.Skip(1)).All(p => p.First.Seq < p.Second.Seq), "seq strictly increasing");

        // The hub saw the same messages, each preview the start of the stored payload.
        var offsetInStream = 0;
        foreach (var stored in recorded)
        {
            var preview = await previews.Reader.ReadAsync().AsTask().Within();
            Assert.Equal(stored.Seq, preview.Seq);
            Assert.Equal(stored.Size, preview.Size);
            Assert.Equal(stored.Size > 4096, preview.Truncated);
            Assert.Equal(payload.AsSpan(offsetInStream, preview.Data.Length).ToArray(), preview.Data);
            offsetInStream += stored.Size;
        }
    }
}
