using System.Diagnostics;
using System.Diagnostics.Metrics;
using Gateway.Configuration;
using Gateway.Sessions;
using Gateway.Traffic;
using Microsoft.Extensions.Options;

namespace Gateway.Capture;

/// <summary>
/// Moves captured events from the <see cref="CaptureFeed"/> into the <see cref="ICaptureStore"/>: in
/// batches, one transaction each, committed when a batch reaches <c>BatchBytes</c> or has waited
/// <c>FlushIntervalMs</c>, or when a reader asks for a flush. Also applies retention. It opens the store
/// at start, before any listener, so that seq and session ids continue above the stored ones.
/// </summary>
internal sealed partial class CaptureWriter : BackgroundService
{
    private static readonly TimeSpan WarnEvery = TimeSpan.FromSeconds(5);

    private readonly ICaptureStore _store;
    private readonly CaptureFeed _feed;
    private readonly DataPlane _plane;
    private readonly CaptureOptions _options;
    private readonly ILogger _logger;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly List<FlushMarker> _waiting = [];
    private readonly List<TrafficEvent> _batch = [];
    private long _batchBytes;
    private long _batchMessages;
    private int _batchCount; // _batch.Count, for Stats() on other threads
    private long _capturedMessages;
    private long _capturedBytes;
    private long _failedMessages;
    private long _failedBytes;
    private long _batches;
    private long _lastBatchMessages;
    private double _lastCommitMs;
    private long _prunedBytes;
    private long _warnedDrops;

    private readonly Histogram<long> _batchSizes;

    public CaptureWriter(ICaptureStore store, CaptureFeed feed, DataPlane plane, IOptions<GatewayOptions> options, IHostApplicationLifetime lifetime,
        IMeterFactory meters, ILogger<CaptureWriter> logger)
    {
        _batchSizes = meters.Create(Metrics.GatewayMetrics.MeterName).CreateHistogram<long>(
            "gateway.capture.batch", unit: "{message}", description: "Messages per committed capture batch.");
        _lifetime = lifetime;
        _store = store;
        _feed = feed;
        _plane = plane;
        _options = options.Value.Capture;
        _logger = logger;
    }

    public CaptureStats Stats()
    {
        var pendingBytes = _feed.QueuedBytes + Interlocked.Read(ref _batchBytes);
        return new CaptureStats(
            _store.Location,
            _feed.SeenMessages,
            _feed.SeenBytes,
            Interlocked.Read(ref _capturedMessages),
            Interlocked.Read(ref _capturedBytes),
            _feed.DroppedMessages + Interlocked.Read(ref _failedMessages),
            _feed.DroppedBytes + Interlocked.Read(ref _failedBytes),
            _feed.Pending + Volatile.Read(ref _batchCount),
            pendingBytes,
            _feed.IsBehind,
            _store.StoredBytes,
            Interlocked.Read(ref _prunedBytes),
            Interlocked.Read(ref _batches),
            Interlocked.Read(ref _lastBatchMessages),
            Volatile.Read(ref _lastCommitMs));
    }

    /// <summary>
    /// Completes once everything the data plane recorded before the call is committed (or counted as
    /// lost): a marker goes through the same queue, so the writer reaches it after all of those.
    /// </summary>
    public Task FlushAsync(CancellationToken cancellationToken)
    {
        var marker = new FlushMarker();
        return _feed.Enqueue(marker) ? marker.Done.Task.WaitAsync(cancellationToken) : Task.CompletedTask;
    }

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        var highWater = await _store.OpenAsync(cancellationToken).ConfigureAwait(false);
        _plane.ContinueAfter(highWater.Seq, highWater.SessionId);
        // Said once the app is up, so that a start-up failure stays the one line it is.
        _lifetime.ApplicationStarted.Register(() => StoreOpened(_logger, _store.Location, highWater.Seq, highWater.SessionId));
        await base.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        // Listeners stop first (they were started after): their last events are in the feed. Take them all.
        _feed.Complete();
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        // base returns at once when its token is already cancelled (the host stopping after a failed start),
        // while the writer may still be draining: the store stays open until the writer is done (bounded).
        if (ExecuteTask is { IsCompleted: false } writer)
        {
            try
            {
                await writer.WaitAsync(TimeSpan.FromSeconds(_plane.Options.ShutdownTimeoutSeconds + 10)).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is TimeoutException or InvalidOperationException or Microsoft.Data.Sqlite.SqliteException or IOException)
            {
                // Stuck or failed: what it could not write is lost either way; the store is closed below.
            }
        }

        await _store.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Runs on a thread of its own at a lower scheduling priority (nice 10), so that under load the sockets
    /// get the CPU first and the writer what is left: in drop mode the loss is counted, in backpressure mode
    /// the sessions wait for it. Runs until the feed is completed and drained (at stop), not until
    /// cancelled: nothing read is left unwritten.
    /// </summary>
    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                ThreadPriorities.LowerCurrent();
                Run();
                done.TrySetResult();
            }
            catch (Exception ex)
            {
                done.TrySetException(ex);
            }
        })
        {
            IsBackground = true,
            Name = "capture writer",
        };
        thread.Start();
        return done.Task;
    }

    /// <summary>The writer's loop. Blocking is fine here: the thread is its own, and SQLite's calls are synchronous anyway.</summary>
    private void Run()
    {
        var nextAgePrune = TimeSpan.Zero;
        var clock = Stopwatch.StartNew();
        var batchStarted = TimeSpan.Zero;
        var lastWarn = -WarnEvery;
        var finished = false;
        while (!finished)
        {
            if (!_store.IsOpen)
            {
                // Closed under us: the host was disposed without stopping this service (a failed start).
                // Nothing more can be written; what is still queued is not captured.
                return;
            }

            var draining = _feed.IsCompleting;
            while (_batchBytes < _options.BatchBytes && _feed.TryRead(out var trafficEvent))
            {
                if (trafficEvent is FlushMarker marker)
                {
                    _waiting.Add(marker);
                    continue;
                }

                if (_batch.Count == 0)
                {
                    batchStarted = clock.Elapsed;
                }

                _batch.Add(trafficEvent);
                if (trafficEvent is TrafficMessage message)
                {
                    Interlocked.Add(ref _batchBytes, CaptureFeed.PayloadBytes(message));
                    _batchMessages++;
                }
            }

            Volatile.Write(ref _batchCount, _batch.Count);
            _feed.ReleaseIfRoom();
            WarnOfDrops(clock, ref lastWarn);
            var asked = _waiting.Count > 0;
            if (_batch.Count > 0 && (asked || draining || _batchBytes >= _options.BatchBytes
                || clock.Elapsed - batchStarted >= TimeSpan.FromMilliseconds(_options.FlushIntervalMs)))
            {
                Commit();
                continue;
            }

            CompleteFlushes();
            if (clock.Elapsed >= nextAgePrune)
            {
                nextAgePrune = clock.Elapsed + AgePruneEvery;
                Prune();
            }

            if (_feed.IsCompleting && _feed.Pending == 0 && _batch.Count == 0)
            {
                finished = true;
                continue;
            }

            // Sleep until there is something to read, a flush is asked for, or the open batch is due.
            var wait = _batch.Count > 0
                ? TimeSpan.FromMilliseconds(_options.FlushIntervalMs) - (clock.Elapsed - batchStarted)
                : TimeSpan.FromSeconds(1);
            if (wait > TimeSpan.Zero && _feed.Pending == 0)
            {
                using var timeout = new CancellationTokenSource(wait);
                try
                {
                    _feed.WaitToReadAsync(timeout.Token).AsTask().GetAwaiter().GetResult();
                }
                catch (OperationCanceledException)
                {
                    // The open batch is due, or it is time to look at retention and drops.
                }
            }
        }

        CompleteFlushes();
    }

    private void Commit()
    {
        var started = Stopwatch.GetTimestamp();
        var messages = _batchMessages;
        var bytes = Interlocked.Read(ref _batchBytes); // both counted as the batch was read

        try
        {
            // Not cancelled by stopping: a batch that was read is written, or counted as lost.
            _store.WriteAsync(_batch, new CaptureHighWater(_plane.LastSeq, _plane.LastSessionId), CancellationToken.None).GetAwaiter().GetResult();
            Interlocked.Add(ref _capturedMessages, messages);
            Interlocked.Add(ref _capturedBytes, bytes);
            Interlocked.Increment(ref _batches);
            _batchSizes.Record(messages);
            Interlocked.Exchange(ref _lastBatchMessages, messages);
            Volatile.Write(ref _lastCommitMs, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        catch (Exception ex) when (ex is Microsoft.Data.Sqlite.SqliteException or IOException or InvalidOperationException)
        {
            Interlocked.Add(ref _failedMessages, messages);
            Interlocked.Add(ref _failedBytes, bytes);
            if (_store.IsOpen)
            {
                WriteFailed(_logger, ex, messages, bytes, _store.Location); // closed under us (see Run) is no failure of the store
            }
        }

        _batch.Clear();
        Interlocked.Exchange(ref _batchBytes, 0);
        _batchMessages = 0;
        Volatile.Write(ref _batchCount, 0);
        if (_store.StoredBytes > _options.MaxBytes)
        {
            Prune();
        }

        CompleteFlushes();
    }

    private void Prune()
    {
        try
        {
            var removed = _store.PruneAsync(_options.MaxBytes, _plane.Now - TimeSpan.FromHours(_options.MaxAgeHours), CancellationToken.None).GetAwaiter().GetResult();
            if (removed > 0)
            {
                Interlocked.Add(ref _prunedBytes, removed);
                Pruned(_logger, removed, _store.StoredBytes);
            }
        }
        catch (InvalidOperationException) when (!_store.IsOpen)
        {
            // Closed under us (see Run): nothing left to prune.
        }
        catch (Exception ex) when (ex is Microsoft.Data.Sqlite.SqliteException or IOException)
        {
            PruneFailed(_logger, ex, _store.Location);
        }
    }

    /// <summary>How often age-based retention runs: every minute, or more often for a short age limit.</summary>
    private TimeSpan AgePruneEvery => TimeSpan.FromHours(Math.Min(1.0 / 60, _options.MaxAgeHours / 4));

    /// <summary>Markers read so far are done once the batch they were read with is committed.</summary>
    private void CompleteFlushes()
    {
        if (_batch.Count > 0)
        {
            return;
        }

        foreach (var marker in _waiting)
        {
            marker.Done.TrySetResult();
        }

        _waiting.Clear();
    }

    private void WarnOfDrops(Stopwatch clock, ref TimeSpan lastWarn)
    {
        var dropped = _feed.DroppedMessages;
        if (dropped > _warnedDrops && clock.Elapsed - lastWarn >= WarnEvery)
        {
            CaptureBehind(_logger, dropped - _warnedDrops, dropped, _feed.DroppedBytes);
            _warnedDrops = dropped;
            lastWarn = clock.Elapsed;
        }
    }

    [LoggerMessage(EventId = 600, Level = LogLevel.Information,
        Message = "Capture store {Database} open; seq continues after {Seq}, session ids after {SessionId}")]
    private static partial void StoreOpened(ILogger logger, string database, long seq, long sessionId);

    [LoggerMessage(EventId = 601, Level = LogLevel.Warning,
        Message = "Capture is behind: {Messages} more messages were not captured ({Total} messages, {Bytes} payload bytes dropped in all); see /api/stats")]
    private static partial void CaptureBehind(ILogger logger, long messages, long total, long bytes);

    [LoggerMessage(EventId = 602, Level = LogLevel.Error,
        Message = "Capture store {Database}: a batch of {Messages} messages ({Bytes} bytes) could not be written and is counted as dropped")]
    private static partial void WriteFailed(ILogger logger, Exception exception, long messages, long bytes, string database);

    [LoggerMessage(EventId = 603, Level = LogLevel.Information,
        Message = "Capture retention removed {Bytes} bytes of the oldest messages; {Stored} bytes stored")]
    private static partial void Pruned(ILogger logger, long bytes, long stored);

    [LoggerMessage(EventId = 604, Level = LogLevel.Error, Message = "Capture store {Database}: retention failed")]
    private static partial void PruneFailed(ILogger logger, Exception exception, string database);
}
