using System.Collections.Concurrent;
using Gateway.Configuration;
using Microsoft.Extensions.Options;

namespace Gateway.Sessions;

/// <summary>Open sessions, and the most recent closed ones (bounded by <c>Gateway:History:MaxClosedSessions</c>).</summary>
internal sealed class SessionRegistry(IOptions<GatewayOptions> options)
{
    private readonly ConcurrentDictionary<long, Session> _open = new();
    private readonly object _closedGate = new();
    private readonly Dictionary<long, Session> _closed = [];
    private readonly Queue<Session> _closedOrder = new();
    private readonly int _maxClosed = options.Value.History.MaxClosedSessions;

    public int OpenCount => _open.Count;

    public ICollection<Session> Open => _open.Values;

    public void Add(Session session) => _open[session.Id] = session;

    public void MarkClosed(Session session)
    {
        lock (_closedGate)
        {
            _closed[session.Id] = session;
            _closedOrder.Enqueue(session);
            while (_closedOrder.Count > _maxClosed)
            {
                _closed.Remove(_closedOrder.Dequeue().Id);
            }
        }

        _open.TryRemove(session.Id, out _);
    }

    public Session? Find(long id)
    {
        if (_open.TryGetValue(id, out var session))
        {
            return session;
        }

        lock (_closedGate)
        {
            return _closed.GetValueOrDefault(id);
        }
    }

    /// <summary>Sessions in id order, optionally of one listener, filtered by state.</summary>
    public List<Session> List(string? listenerId, SessionFilter filter)
    {
        var result = new List<Session>();
        if (filter is SessionFilter.Open or SessionFilter.All)
        {
            result.AddRange(_open.Values);
        }

        if (filter is SessionFilter.Closed or SessionFilter.All)
        {
            lock (_closedGate)
            {
                result.AddRange(_closedOrder);
            }
        }

        if (listenerId is not null)
        {
            result.RemoveAll(s => !string.Equals(s.ListenerId, listenerId, StringComparison.OrdinalIgnoreCase));
        }

        // A session moving from open to closed may have been picked up twice.
        return result.DistinctBy(s => s.Id).OrderBy(s => s.Id).ToList();
    }
}

internal enum SessionFilter
{
    Open,
    Closed,
    All,
}
