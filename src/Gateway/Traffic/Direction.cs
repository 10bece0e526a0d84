namespace Gateway.Traffic;

/// <summary><c>in</c>: received from the peer; <c>out</c>: sent to the peer.</summary>
public enum Direction
{
    In,
    Out,
}
