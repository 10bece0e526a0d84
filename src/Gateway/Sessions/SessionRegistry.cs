using System.Collections.Concurrent;
using Gateway.Configuration;
using Microsoft.Extensions.Options;

namespace Gateway.Sessions;

/// <summary>
/// Open sessions, and snapshots of the most recently closed ones whose capture is off (bounded by
/// <c>Gateway:History:MaxClosedSessions</c>); the capture store keeps the history of all others.
/// </summary>
internal sealed class SessionRegistry(IOptions<GatewayOptions> options)
{
    private readonly ConcurrentDictionary<long, Session> _open = new();
    private readonly object _closedGate = new();
    private readonly Dictionary<long, SessionInfo> _closed = [];
    private readonly Queue<long> _closedOrder = new();
    private readonly int _maxClosed = options.Value.History.MaxClosedSessions;

    public int OpenCount => _open.Count;

    public ICollection<Session> Open => _open.Values;

    public void Add(Session session) => _open[session.Id] = session;

    public void MarkClosed(Session session, SessionInfo final)
    {
        if (final.Capture == Capture.CaptureMode.Off)
        {
            Remember(final);
        }

        _open.TryRemove(session.Id, out _);
    }

    private void Remember(SessionInfo final)
    {
        lock (_closedGate)
        {
            _closed[final.Id] = final;
            _closedOrder.Enqueue(final.Id);
            while (_closedOrder.Count > _maxClosed)
            {
                _closed.Remove(_closedOrder.Dequeue());
            }
        }
    }

    /// <summary>The open session with this id, or null.</summary>
    public Session? FindOpen(long id) => _open.GetValueOrDefault(id);

    /// <summary>A recently closed session's final snapshot, or null.</summary>
    public SessionInfo? FindClosed(long id)
    {
        lock (_closedGate)
        {
            return _closed.GetValueOrDefault(id);
        }
    }

    /// <summary>Recently closed sessions (of one listener if given), in id order.</summary>
    public List<SessionInfo> RecentlyClosed(string? listenerId)
    {
        lock (_closedGate)
        {
            return _closed.Values
                .Where(s => listenerId is null || string.Equals(s.ListenerId, listenerId, StringComparison.OrdinalIgnoreCase))
                .OrderBy(s => s.Id)
                .ToList();
        }
    }

    /// <summary>Open sessions in id order, optionally of one listener.</summary>
    public List<Session> ListOpen(string? listenerId = null) =>
        _open.Values
            .Where(s => listenerId is null || string.Equals(s.ListenerId, listenerId, StringComparison.OrdinalIgnoreCase))
            .OrderBy(s => s.Id)
            .ToList();
}
