using Gateway.Listeners;
using Gateway.Security;
using Gateway.Sessions;

namespace Gateway.Faults;

/// <summary>Adding and removing a relay listener's faults; they apply to new and existing sessions at once.</summary>
internal sealed class FaultCommands(ListenerManager listeners, AuditLog audit)
{
    private long _nextId;

    public IReadOnlyList<FaultInfo> List(string listenerId) => Relay(listenerId).Faults;

    public FaultInfo Add(string listenerId, FaultRequest request, Actor actor)
    {
        var listener = Relay(listenerId);
        var fault = FaultRules.Parse("", request, listener.Protocol);
        listener.UpdatePolicy(p =>
        {
            // An id no fault of the listener has: in a cluster, its faults may have come from another node's counter.
            string id;
            do
            {
                id = $"f{Interlocked.Increment(ref _nextId)}";
            }
            while (p.Faults.Any(f => f.Id == id));

            fault = fault with { Id = id };
            return p with { Faults = p.Faults.Add(fault) };
        });

        audit.Record(actor, "fault.add", $"listener {listener.Id}", detail: $"{fault.Id}: {fault.Name}, direction {fault.Direction}, toxicity {fault.Toxicity}");
        return fault;
    }

    public void Remove(string listenerId, string faultId, Actor actor)
    {
        var listener = Relay(listenerId);
        listener.UpdatePolicy(p => p with
        {
            Faults = p.Faults.Remove(p.Faults.FirstOrDefault(f => f.Id == faultId)
                ?? throw CommandException.NotFound($"Listener '{listenerId}' has no fault '{faultId}'.")),
        });

        audit.Record(actor, "fault.remove", $"listener {listener.Id}", detail: faultId);
    }

    /// <summary>Puts <paramref name="faults"/> (already checked, with their ids) in place of the listener's: the cluster's copy of another node's.</summary>
    public void ReplaceAll(string listenerId, IReadOnlyList<FaultInfo> faults, Actor actor)
    {
        var listener = listeners.Find(listenerId) ?? throw CommandException.NotFound($"Listener '{listenerId}' does not exist.");
        if (faults.Count > 0)
        {
            Relay(listenerId);
        }

        listener.UpdatePolicy(p => p with { Faults = [.. faults] });
        audit.Record(actor, "fault.replace", $"listener {listener.Id}", detail: $"{faults.Count} faults: {string.Join(", ", faults.Select(f => f.Id))}");
    }

    private GatewayListener Relay(string listenerId)
    {
        var listener = listeners.Find(listenerId) ?? throw CommandException.NotFound($"Listener '{listenerId}' does not exist.");
        return listener.Upstream is not null
            ? listener
            : throw CommandException.BadInput($"Listener '{listenerId}' is not a relay: faults apply to the traffic a relay forwards.");
    }

}
