using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Functional;

/// <summary>A gateway process killed with SIGKILL under load, then restarted on the same database.</summary>
public sealed class CrashTests
{
    private const int FlushIntervalMs = 200;

    /// <summary>Time for the commit (and its fsync) of a due batch, and for scheduling, on top of the flush interval.</summary>
    private const int CommitSlackMs = 250;

    [Fact]
    public async Task SigKillUnderLoad_LosesAtMostTheLastFlushInterval_OpenSessionsClosedAsRestarted()
    {
        using var folder = new TempFolder();
        using var gateway = GatewayProcess.Start(folder,
            "--urls", "http://127.0.0.1:0", "--Gateway:Listeners:0:Port=0", "--Gateway:Listeners:1:Port=0",
            $"--Gateway:Capture:FlushIntervalMs={FlushIntervalMs}");
        var listening = await gateway.WaitForLineAsync(@"Listener tcp listening on tcp 127\.0\.0\.1:(\d+)", TimeSpan.FromSeconds(30));
        await gateway.WaitForLineAsync("Application started", TimeSpan.FromSeconds(30));
        var port = int.Parse(listening.Groups[1].Value);

        // Four clients, each sending numbered 1 KiB chunks every millisecond or so, noting when each was sent.
        var clock = Stopwatch.StartNew();
        using var stop = new CancellationTokenSource();
        var senders = Enumerable.Range(0, 4).Select(i => SendUntilStoppedAsync(port, clock, stop.Token)).ToArray();
        await Task.Delay(1500);
        var killedAt = clock.Elapsed;
        gateway.KillHard();
        await gateway.WaitForExitAsync(TimeSpan.FromSeconds(10));
        await stop.CancelAsync();
        var sent = await Task.WhenAll(senders).Within(TimeSpan.FromSeconds(10));

        await using var app = await GatewayApp.StartAsync(new Dictionary<string, string?> { ["ConnectionStrings:Capture"] = GatewayApp.CaptureDatabase(folder) });
        var sessions = await app.GetAsync<WireSession[]>("/api/sessions?state=all");
        Assert.Equal(4, sessions.Length);
        var safeBefore = killedAt - TimeSpan.FromMilliseconds(FlushIntervalMs + CommitSlackMs);
        foreach (var session in sessions)
        {
            Assert.Equal("closed", session.State);
            Assert.Equal("gateway restarted", session.CloseReason);
            var captured = await app.CapturedBytesAsync(session.Id, "in");
            var client = Assert.Single(sent, s => s.Local == session.Remote);
            // What was captured is exactly the start of what was sent, and covers all that was sent before the last flush interval.
            Assert.True(captured.AsSpan().SequenceEqual(client.Bytes.AsSpan(0, captured.Length)), "captured bytes are not what was sent");
            var mustHave = client.SentBy(safeBefore);
            Assert.True(captured.Length >= mustHave,
                $"session {session.Id}: {captured.Length} bytes captured, but {mustHave} were sent more than {FlushIntervalMs + CommitSlackMs} ms before the kill "
                + $"({client.Bytes.Length} sent in all)");
            Assert.Equal(captured.Length, session.BytesIn);
        }
    }

    private static async Task<SentLog> SendUntilStoppedAsync(int port, Stopwatch clock, CancellationToken stop)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(IPAddress.Loopback, port).Within();
        var log = new SentLog(socket.LocalEndPoint!.ToString()!);
        var chunk = new byte[1024];
        for (var i = 0; !stop.IsCancellationRequested && i < 100_000; i++)
        {
            BitConverter.TryWriteBytes(chunk, i);
            chunk.AsSpan(4).Fill((byte)i);
            try
            {
                await socket.SendAsync(chunk, SocketFlags.None).WaitAsync(TimeSpan.FromSeconds(5));
            }
            catch (Exception ex) when (ex is SocketException or TimeoutException)
            {
                break; // the gateway is gone
            }

            log.Add(chunk, clock.Elapsed);
            await Task.Delay(1);
        }

        return log;
    }

    private sealed class SentLog(string local)
    {
        private readonly MemoryStream _bytes = new();
        private readonly List<(TimeSpan At, long Total)> _marks = [];

        public string Local { get; } = local;

        public byte[] Bytes => _bytes.ToArray();

        public void Add(byte[] chunk, TimeSpan at)
        {
            _bytes.Write(chunk);
            _marks.Add((at, _bytes.Length));
        }

        /// <summary>Bytes whose send had completed at <paramref name="time"/>.</summary>
        public long SentBy(TimeSpan time) => _marks.LastOrDefault(m => m.At <= time).Total;
    }
}
