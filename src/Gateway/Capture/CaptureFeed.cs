using Gateway.Configuration;
using Gateway.Traffic;
using Microsoft.Extensions.Options;

namespace Gateway.Capture;

/// <summary>
/// The capture store's observer of the event stream: a bounded queue like every other observer, which
/// knows each listener's capture policy. It keeps the byte accounting exact: every payload byte of a
/// <c>full</c> capture is seen here, then either dropped (counted here) or committed (counted by the
/// writer). Sessions of a <c>backpressure</c> listener are never dropped; they wait in
/// <see cref="WaitForRoomAsync"/> before each read while the queue is past half full.
/// </summary>
internal sealed class CaptureFeed : ITrafficObserver
{
    private readonly ObserverSubscription _queue;
    private readonly CaptureShares _shares;
    private readonly long _maxBytes;
    private readonly object _roomGate = new();
    private TaskCompletionSource? _room;
    private volatile bool _completed;
    private long _seenMessages;
    private long _seenBytes;
    private long _droppedMessages;
    private long _droppedBytes;
    private long _queuedBytes;

    public CaptureFeed(TrafficEventBus bus, IOptions<GatewayOptions> options)
    {
        var capture = options.Value.Capture;
        _maxBytes = capture.QueueBytes;
        _queue = new ObserverSubscription("capture", capture.QueueCapacity, capture.QueueBytes);
        _shares = new CaptureShares(capture.QueueCapacity, capture.QueueBytes);
        bus.Subscribe(this);
    }

    public string Name => _queue.Name;

    public int Capacity => _queue.Capacity;

    public int Pending => _queue.Pending;

    public long PendingBytes => _queue.PendingBytes;

    public long Dropped => _queue.Dropped;

    /// <summary>Messages of captured sessions (full or metadata) offered to the store.</summary>
    public long SeenMessages => Interlocked.Read(ref _seenMessages);

    /// <summary>Payload bytes of <c>full</c> captures offered to the store.</summary>
    public long SeenBytes => Interlocked.Read(ref _seenBytes);

    public long DroppedMessages => Interlocked.Read(ref _droppedMessages);

    public long DroppedBytes => Interlocked.Read(ref _droppedBytes);

    /// <summary>Payload bytes of <c>full</c> captures waiting in the queue.</summary>
    public long QueuedBytes => Interlocked.Read(ref _queuedBytes);

    /// <summary>No more events will be taken: the writer should commit what it has and finish.</summary>
    public bool IsCompleting => _completed;

    /// <summary>True while back-pressured sessions are asked to wait.</summary>
    public bool IsBehind => Volatile.Read(ref _room) is not null;

    public void Offer(TrafficEvent trafficEvent)
    {
        switch (trafficEvent)
        {
            case TrafficMessage { Capture.Mode: CaptureMode.Off }:
                return;
            case TrafficMessage message:
                var bytes = PayloadBytes(message);
                Interlocked.Increment(ref _seenMessages);
                Interlocked.Add(ref _seenBytes, bytes);
                Interlocked.Add(ref _queuedBytes, bytes);
                var bounded = message.Capture.Overflow == CaptureOverflow.Drop;
                // Counted before it is queued: the writer may read it (and uncount it) at once.
                _shares.Added(message);
                if ((bounded && !_shares.Admits(message, alreadyAdded: true)) || !_queue.Offer(message, bounded))
                {
                    _shares.Removed(message);
                    Interlocked.Add(ref _queuedBytes, -bytes);
                    Interlocked.Increment(ref _droppedMessages);
                    Interlocked.Add(ref _droppedBytes, bytes);
                }

                if (!IsBehind && IsPastHalf())
                {
                    StartWaiting();
                }

                return;
            case MessageDecoded:
                _queue.Offer(trafficEvent, bounded: true); // a summary lost to a full queue is only a summary
                return;
            case SessionOpened { Session.Capture: not CaptureMode.Off }:
            case SessionUpdated { Session.Capture: not CaptureMode.Off }:
            case SessionClosed { Session.Capture: not CaptureMode.Off }:
                // At most two per session, and without them messages would have no session: never dropped.
                _queue.Offer(trafficEvent, bounded: false);
                return;
        }
    }

    /// <summary>Puts an event of the capture's own (a flush marker) behind everything queued; false once completed.</summary>
    public bool Enqueue(TrafficEvent trafficEvent) => !_completed && _queue.Offer(trafficEvent, bounded: false);

    /// <summary>Completes at once while the queue has room; otherwise when the writer has drained it below a quarter.</summary>
    public ValueTask WaitForRoomAsync(CancellationToken cancellationToken) =>
        Volatile.Read(ref _room) is { } room ? new ValueTask(room.Task.WaitAsync(cancellationToken)) : ValueTask.CompletedTask;

    public bool TryRead(out TrafficEvent trafficEvent)
    {
        if (!_queue.TryRead(out trafficEvent))
        {
            return false;
        }

        if (trafficEvent is TrafficMessage message)
        {
            Interlocked.Add(ref _queuedBytes, -PayloadBytes(message));
            _shares.Removed(message);
        }

        return true;
    }

    public ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken) => _queue.WaitToReadAsync(cancellationToken);

    /// <summary>Lets back-pressured sessions read again once the queue is below a quarter full. The writer calls it after each drain.</summary>
    public void ReleaseIfRoom()
    {
        if (!IsBehind || _queue.Pending > Capacity / 4 || _queue.PendingBytes > _maxBytes / 4)
        {
            return;
        }

        TaskCompletionSource? room;
        lock (_roomGate)
        {
            room = _room;
            _room = null;
        }

        room?.TrySetResult();
    }

    public void Complete()
    {
        _completed = true;
        _queue.Complete();
        lock (_roomGate)
        {
            _room?.TrySetResult();
            _room = null;
        }
    }

    public static long PayloadBytes(TrafficMessage message) => message.Capture.Mode == CaptureMode.Full ? message.Size : 0;

    private bool IsPastHalf() => _queue.Pending > Capacity / 2 || _queue.PendingBytes > _maxBytes / 2;

    private void StartWaiting()
    {
        lock (_roomGate)
        {
            if (!_completed)
            {
                _room ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }
    }
}
