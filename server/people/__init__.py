"""Residents and the three teams 三支队伍: community staff, grid workers, volunteers.

Also party members, service groups 网格为民服务组 (one per grid), volunteer
organisations and the volunteer-hours ledger 志愿服务时长.
"""
