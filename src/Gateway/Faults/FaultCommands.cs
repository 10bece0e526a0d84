using Gateway.Listeners;
using Gateway.Sessions;

namespace Gateway.Faults;

/// <summary>Adding and removing a relay listener's faults; they apply to new and existing sessions at once.</summary>
internal sealed partial class FaultCommands(ListenerManager listeners, ILogger<FaultCommands> logger)
{
    private readonly object _gate = new();
    private long _nextId;

    public IReadOnlyList<FaultInfo> List(string listenerId) => Relay(listenerId).Faults;

    public FaultInfo Add(string listenerId, FaultRequest request, string actor)
    {
        var listener = Relay(listenerId);
        var fault = FaultRules.Parse($"f{Interlocked.Increment(ref _nextId)}", request, listener.Protocol);
        lock (_gate)
        {
            listener.Faults = listener.Faults.Add(fault);
        }

        Added(logger, actor, fault.Name, fault.Id, listener.Id, fault.Direction, fault.Toxicity);
        return fault;
    }

    public void Remove(string listenerId, string faultId, string actor)
    {
        var listener = Relay(listenerId);
        lock (_gate)
        {
            var fault = listener.Faults.FirstOrDefault(f => f.Id == faultId)
                ?? throw CommandException.NotFound($"Listener '{listenerId}' has no fault '{faultId}'.");
            listener.Faults = listener.Faults.Remove(fault);
        }

        Removed(logger, actor, faultId, listener.Id);
    }

    private GatewayListener Relay(string listenerId)
    {
        var listener = listeners.Find(listenerId) ?? throw CommandException.NotFound($"Listener '{listenerId}' does not exist.");
        return listener.Upstream is not null
            ? listener
            : throw CommandException.BadInput($"Listener '{listenerId}' is not a relay: faults apply to the traffic a relay forwards.");
    }

    [LoggerMessage(EventId = 700, Level = LogLevel.Information,
        Message = "{Actor} added fault {Fault} ({FaultId}) to {Listener}, direction {Direction}, toxicity {Toxicity}")]
    private static partial void Added(ILogger logger, string actor, string fault, string faultId, string listener, string direction, double toxicity);

    [LoggerMessage(EventId = 701, Level = LogLevel.Information, Message = "{Actor} removed fault {FaultId} from {Listener}")]
    private static partial void Removed(ILogger logger, string actor, string faultId, string listener);
}
