using System.Data.Common;

namespace Gateway.Capture;

/// <summary>The optional conditions of a query, each with its parameter, joined into one WHERE clause (SQLite's capture store and the cluster's PostgreSQL alike).</summary>
internal sealed class SqlFilter(DbCommand command)
{
    private readonly List<string> _conditions = [];

    /// <summary>Adds a condition; with <paramref name="name"/>, also the parameter it uses.</summary>
    public void Add(string condition, string? name = null, object? value = null)
    {
        _conditions.Add(condition);
        if (name is not null)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value ?? DBNull.Value;
            command.Parameters.Add(parameter);
        }
    }

    /// <summary><c> WHERE a AND b</c>, or nothing when there is no condition.</summary>
    public override string ToString() => _conditions.Count > 0 ? " WHERE " + string.Join(" AND ", _conditions) : "";
}
