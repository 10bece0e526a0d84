using System.Threading.Channels;
using Gateway.Configuration;
using Gateway.Hubs;
using Gateway.Listeners;
using Gateway.Sessions;
using Gateway.Traffic;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Tests.Unit.Hubs;

public sealed class HubClientFeedTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private static TrafficMessage Message(long seq, int size = 3, long session = 1) =>
        new(seq, session, "tcp", Direction.In, DateTimeOffset.UtcNow, Enumerable.Range(0, size).Select(i => (byte)i).ToArray());

    private static SessionInfo Session(long id) => new(id, "tcp", SessionKind.Accepted, ListenerProtocol.Tcp, Gateway.Framing.FramingMode.Raw, null, "127.0.0.1:1", "127.0.0.1:2",
        null, SessionState.Open, DateTimeOffset.UtcNow, null, null, 0, 0, 0, 0);

    [Fact]
    public async Task QueuedMessages_GoAsBatches_LifecycleInItsPlace()
    {
        var proxy = new RecordingProxy();
        var gate = new TaskCompletionSource();
        proxy.Gate = gate.Task;
        var feed = new HubClientFeed("c1", proxy, new WatchOptions { MaxBatchMessages = 3 }, NullLogger.Instance);
        feed.Watch(new WatchScope(WatchScopeKind.All, null, 0));

        // Held at the first send, so the rest queues up behind it.
        feed.Offer(Message(1));
        await proxy.WaitForCallsAsync(1);
        for (var seq = 2; seq <= 6; seq++)
        {
            feed.Offer(Message(seq));
        }

        feed.Offer(new SessionOpened(Session(9)));
        feed.Offer(Message(7));
        gate.SetResult();
        await proxy.WaitForCallsAsync(5);

        Assert.Equal(
            ["traffic:1", "traffic:2,3,4", "traffic:5,6", "sessionOpened:9", "traffic:7"],
            proxy.Calls.Select(Describe));
        await feed.StopAsync();
    }

    [Fact]
    public async Task Batch_IsCutAtMaxBatchBytes()
    {
        var proxy = new RecordingProxy();
        var gate = new TaskCompletionSource();
        proxy.Gate = gate.Task;
        var feed = new HubClientFeed("c1", proxy, new WatchOptions { MaxBatchBytes = 250, MaxPreviewBytes = 100 }, NullLogger.Instance);
        feed.Watch(new WatchScope(WatchScopeKind.All, null, 0));
        feed.Offer(Message(1));
        await proxy.WaitForCallsAsync(1);
        for (var seq = 2; seq <= 5; seq++)
        {
            feed.Offer(Message(seq, size: 1000));
        }

        gate.SetResult();
        await proxy.WaitForCallsAsync(3);

        Assert.Equal(["traffic:1", "traffic:2,3,4", "traffic:5"], proxy.Calls.Select(Describe));
        var preview = ((MessageInfo[])proxy.Calls[1].Args[0]!)[0];
        Assert.True(preview.Truncated);
        Assert.Equal(1000, preview.Size);
        Assert.Equal(100, preview.Data.Length);
        await feed.StopAsync();
    }

    [Fact]
    public async Task UnwatchedTraffic_IsNotQueued_LifecycleAlwaysIs()
    {
        var proxy = new RecordingProxy();
        var feed = new HubClientFeed("c1", proxy, new WatchOptions(), NullLogger.Instance);
        feed.Watch(new WatchScope(WatchScopeKind.Session, null, 2));

        feed.Offer(Message(1, session: 1));
        feed.Offer(Message(2, session: 2));
        feed.Offer(new SessionClosed(Session(1)));
        await proxy.WaitForCallsAsync(2);

        Assert.Equal(["traffic:2", "sessionClosed:1"], proxy.Calls.Select(Describe));
        await feed.StopAsync();
    }

    [Fact]
    public async Task StalledClient_QueueFills_FurtherEventsDroppedAndCounted()
    {
        var proxy = new RecordingProxy { Gate = new TaskCompletionSource().Task }; // never completes
        var feed = new HubClientFeed("c1", proxy, new WatchOptions { ClientQueueCapacity = 10 }, NullLogger.Instance);
        feed.Watch(new WatchScope(WatchScopeKind.All, null, 0));
        feed.Offer(Message(1));
        await proxy.WaitForCallsAsync(1);

        for (var seq = 2; seq <= 101; seq++)
        {
            feed.Offer(Message(seq));
        }

        Assert.Equal(10, feed.Pending);
        Assert.Equal(90, feed.Dropped);
        await feed.StopAsync().WaitAsync(Timeout); // stopping cancels the stuck send
    }

    private static string Describe((string Method, object?[] Args) call) => call.Args[0] switch
    {
        MessageInfo[] batch => $"{call.Method}:{string.Join(',', batch.Select(m => m.Seq))}",
        SessionInfo s => $"{call.Method}:{s.Id}",
        var other => $"{call.Method}:{other}",
    };

    private sealed class RecordingProxy : IClientProxy
    {
        private readonly Channel<int> _signals = Channel.CreateUnbounded<int>();
        private readonly List<(string, object?[])> _calls = [];

        public Task Gate { get; set; } = Task.CompletedTask;

        public List<(string Method, object?[] Args)> Calls
        {
            get
            {
                lock (_calls)
                {
                    return [.. _calls];
                }
            }
        }

        public async Task SendCoreAsync(string method, object?[] args, CancellationToken cancellationToken = default)
        {
            lock (_calls)
            {
                _calls.Add((method, args));
            }

            _signals.Writer.TryWrite(0);
            await Gate.WaitAsync(cancellationToken);
        }

        public async Task WaitForCallsAsync(int count)
        {
            using var cts = new CancellationTokenSource(Timeout);
            while (Calls.Count < count)
            {
                await _signals.Reader.ReadAsync(cts.Token);
            }
        }
    }
}
