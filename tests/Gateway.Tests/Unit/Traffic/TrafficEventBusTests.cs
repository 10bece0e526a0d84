using System.Diagnostics;
using Gateway.Sessions;
using Gateway.Traffic;

namespace Gateway.Tests.Unit.Traffic;

public sealed class TrafficEventBusTests
{
    private static TrafficMessage Message(long seq) => new(seq, 1, "tcp", Direction.In, DateTimeOffset.UtcNow, [1, 2, 3]);

    [Fact]
    public void Publish_FullSubscription_DropsAndCountsWithoutBlocking()
    {
        var bus = new TrafficEventBus();
        var slow = bus.Subscribe("slow", capacity: 2, maxBytes: long.MaxValue);

        var watch = Stopwatch.StartNew();
        for (var i = 1; i <= 1000; i++)
        {
            bus.Publish(Message(i));
        }

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(1), "publishing to a full channel must not wait");
        Assert.Equal(2, slow.Pending);
        Assert.Equal(2, slow.Delivered);
        Assert.Equal(998, slow.Dropped);
        Assert.Equal(998, bus.Dropped);
    }

    [Fact]
    public async Task Publish_OneSlowSubscriber_OthersReceiveEverythingInOrder()
    {
        var bus = new TrafficEventBus();
        var slow = bus.Subscribe("slow", capacity: 1, maxBytes: long.MaxValue);
        var fast = bus.Subscribe("fast", capacity: 100, maxBytes: long.MaxValue);

        for (var i = 1; i <= 50; i++)
        {
            bus.Publish(Message(i));
        }

        var seen = new List<long>();
        while (fast.TryRead(out var e))
        {
            seen.Add(((TrafficMessage)e).Seq);
        }

        Assert.Equal(Enumerable.Range(1, 50).Select(i => (long)i), seen);
        Assert.Equal(0, fast.Dropped);
        Assert.Equal(49, slow.Dropped);
        Assert.True(await slow.WaitToReadAsync(CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.True(slow.TryRead(out var first));
        Assert.Equal(1, ((TrafficMessage)first).Seq);
    }

    [Fact]
    public void Unsubscribe_KeepsItsDropsInTheTotal()
    {
        var bus = new TrafficEventBus();
        var gone = bus.Subscribe("gone", capacity: 1, maxBytes: long.MaxValue);
        bus.Publish(Message(1));
        bus.Publish(Message(2));

        bus.Unsubscribe(gone);
        bus.Publish(Message(3));

        Assert.Equal(1, bus.Dropped);
        Assert.Empty(bus.Subscriptions);
        Assert.True(gone.TryRead(out _));
        Assert.False(gone.TryRead(out _));
        Assert.True(gone.Completion.IsCompleted);
    }

    [Fact]
    public void Offer_PastTheByteBudget_DropsUntilReadersCatchUp()
    {
        var subscription = new ObserverSubscription("bytes", capacity: 1000, maxBytes: 10);
        TrafficMessage Sized(long seq, int size) => new(seq, 1, "tcp", Direction.In, DateTimeOffset.UtcNow, new byte[size]);

        Assert.True(subscription.Offer(Sized(1, 6)));
        Assert.True(subscription.Offer(Sized(2, 4)));
        Assert.False(subscription.Offer(Sized(3, 1)));
        Assert.True(subscription.Offer(new SessionClosed(null!))); // lifecycle events weigh nothing
        Assert.Equal(10, subscription.PendingBytes);

        Assert.True(subscription.TryRead(out _));
        Assert.Equal(4, subscription.PendingBytes);
        Assert.True(subscription.Offer(Sized(4, 6)));
        Assert.Equal(1, subscription.Dropped);
    }

    [Fact]
    public void Offer_OneMessageLargerThanTheBudget_PassesWhenNothingIsQueued()
    {
        var subscription = new ObserverSubscription("bytes", capacity: 10, maxBytes: 10);
        Assert.True(subscription.Offer(new TrafficMessage(1, 1, "tcp", Direction.In, DateTimeOffset.UtcNow, new byte[100])));
        Assert.False(subscription.Offer(new TrafficMessage(2, 1, "tcp", Direction.In, DateTimeOffset.UtcNow, new byte[1])));
    }

    [Fact]
    public void Publish_NoSubscribers_IsANoOp()
    {
        var bus = new TrafficEventBus();
        bus.Publish(new SessionClosed(null!));
        Assert.Equal(0, bus.Dropped);
    }
}
