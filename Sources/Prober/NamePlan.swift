/// Which of a sweep's targets need a name lookup, and which address each probes once its name
/// resolved (``AddressFamilyChoice``). Pure: the same targets and family give the same plan.
struct NamePlan {
    /// One lookup per distinct name (case-insensitive), shared by every target that names it.
    struct Lookup {
        var request: NameLookups.Request
        /// The targets (indices) waiting for it.
        var targets: [Int]
    }

    /// What a target gets from its lookup.
    enum Choice: Equatable {
        case address(SocketAddress)
        case failure(String)
    }

    /// Targets given as numeric addresses: probed at once.
    private(set) var numeric: [(index: Int, address: SocketAddress)] = []
    /// Names to look up.
    private(set) var lookups: [Lookup] = []
    /// Targets not probed at all, and why (a numeric address of a family not asked for).
    private(set) var refused: [(index: Int, reason: String)] = []
    let family: AddressFamilyChoice

    init(targets: [ProbeTarget], family: AddressFamilyChoice) {
        self.family = family
        var byName: [String: Int] = [:]
        for (index, target) in targets.enumerated() {
            if let address = SocketAddress(numericHost: target.host, port: target.port) {
                if let wanted = Self.wanted(target, family), wanted != address.family {
                    refused.append((index, "\(address.family == .inet ? "an IPv4" : "an IPv6") address, and --family \(family == .both ? "both (this entry: \(wanted.rawValue))" : family.rawValue) probes \(wanted == .inet ? "IPv4" : "IPv6") only"))
                } else {
                    numeric.append((index, address))
                }
                continue
            }
            let key = target.host.lowercased()
            let wanted = Self.wanted(target, family)
            let v4 = wanted.map { $0 == .inet } ?? family.asksIPv4
            let v6 = wanted.map { $0 == .inet6 } ?? family.asksIPv6
            if let number = byName[key] {
                lookups[number].targets.append(index)
                lookups[number].request.v4 = lookups[number].request.v4 || v4
                lookups[number].request.v6 = lookups[number].request.v6 || v6
            } else {
                byName[key] = lookups.count
                lookups.append(Lookup(request: NameLookups.Request(name: target.host, v4: v4, v6: v6), targets: [index]))
            }
        }
    }

    /// The one family a target may be probed at, if it is restricted to one.
    private static func wanted(_ target: ProbeTarget, _ family: AddressFamilyChoice) -> SocketAddress.Family? {
        if let one = target.family { return one }
        switch family {
        case .ipv4: return .inet
        case .ipv6: return .inet6
        case .any, .both: return nil
        }
    }

    /// Whether any target may be probed at an address of `family` (which ICMP sockets to open).
    func mayProbe(_ family: SocketAddress.Family) -> Bool {
        numeric.contains { $0.address.family == family } || lookups.contains { family == .inet ? $0.request.v4 : $0.request.v6 }
    }

    /// The address `target` probes from its lookup's outcome: the first the resolver orders, or the
    /// first of its family.
    func choose(_ outcome: NameResolver.Outcome, for target: ProbeTarget) -> Choice {
        switch outcome {
        case .failed(let reason):
            return .failure("cannot resolve '\(target.host)': \(reason)")
        case .resolved(let addresses, _):
            let wanted = Self.wanted(target, family)
            guard let address = addresses.first(where: { wanted == nil || $0.family == wanted }) else {
                return .failure("cannot resolve '\(target.host)': no \(wanted == .inet6 ? "IPv6" : "IPv4") address")
            }
            return .address(address)
        }
    }
}
