# What this node is in a Swarm (docs/swarm.md, "Finding the manager").
# Prints: SWARM LOCAL_NODE_STATE CONTROL_AVAILABLE NODE_ID; on a manager also
# one MEMBER NODE_ID HOSTNAME STATUS line per node of its Swarm.
hc_info=$(docker info --format '{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}} {{.Swarm.NodeID}}' 2>&1) || {
    echo "docker info failed: $hc_info"
    exit 1
}
echo "SWARM $hc_info"
case $hc_info in
    "active true "*)
        docker node ls --format 'MEMBER {{.ID}} {{.Hostname}} {{.Status}}' || exit 1
        ;;
esac
