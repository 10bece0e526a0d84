using Gateway.Sessions;
using Gateway.Traffic;

namespace Gateway.Tests.Unit.Sessions;

public sealed class MessageLogTests
{
    private static TrafficMessage Message(long seq, int size) =>
        new(seq, 1, "tcp", Direction.In, DateTimeOffset.UtcNow, new byte[size]);

    [Fact]
    public void Add_PastMessageCount_EvictsOldest()
    {
        var log = new MessageLog(maxMessages: 3, maxBytes: 1000);
        for (var i = 1; i <= 5; i++)
        {
            log.Add(Message(i, 10));
        }

        Assert.Equal([3L, 4L, 5L], log.Read(0, 100).Select(m => m.Seq));
        Assert.Equal(30, log.Bytes);
    }

    [Fact]
    public void Add_PastByteBudget_EvictsOldestButKeepsTheNewest()
    {
        var log = new MessageLog(maxMessages: 100, maxBytes: 25);
        log.Add(Message(1, 10));
        log.Add(Message(2, 10));
        log.Add(Message(3, 10));
        Assert.Equal([2L, 3L], log.Read(0, 100).Select(m => m.Seq));

        log.Add(Message(4, 500));
        Assert.Equal([4L], log.Read(0, 100).Select(m => m.Seq));
        Assert.Equal(500, log.Bytes);
    }

    [Fact]
    public void Read_AfterSeqAndLimit_PagesInOrder()
    {
        var log = new MessageLog(100, 10_000);
        foreach (var seq in new long[] { 2, 5, 9, 12 })
        {
            log.Add(Message(seq, 1));
        }

        Assert.Equal([5L, 9L], log.Read(afterSeq: 2, limit: 2).Select(m => m.Seq));
        Assert.Equal([12L], log.Read(afterSeq: 9, limit: 10).Select(m => m.Seq));
        Assert.Empty(log.Read(afterSeq: 12, limit: 10));
    }
}
